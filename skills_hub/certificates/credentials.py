"""Open Badges 3.0 credentials, signed with an Ed25519 DataIntegrityProof (cryptosuite eddsa-rdfc-2022).

Canonicalisation is RDFC-1.0 (URDNA2015) by pyld, with a document loader that serves only the vendored
contexts and refuses the network. The signing key comes from SKILLS_HUB_SIGNING_KEY (a hex Ed25519 seed) or,
in development, a key made once under instance/.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import secrets
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from pyld import jsonld

CONTEXTS_FOLDER = Path(__file__).parent / "contexts"
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}
CONTEXT = list(CONTEXT_FILES)
CREDENTIALS_V2 = CONTEXT[0]
# A W3C Bitstring Status List of the smallest size the spec allows (16 KB), so a holder's index hides in the herd.
STATUS_LIST_BITS = 131_072
MULTIKEY_ED25519_PREFIX = b"\xed\x01"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class RefusedContext(ValueError):
    """A context that is not vendored: signing never fetches from the network."""


@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXTS_FOLDER / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options=None) -> dict:
    if url not in CONTEXT_FILES:
        raise RefusedContext(f"Refused to load {url}: only the vendored contexts are allowed.")
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context(url))}


def canonical(document: dict) -> str:
    """RDFC-1.0 canonical N-Quads."""
    return jsonld.normalize(document, {"algorithm": "URDNA2015", "format": "application/n-quads",
                                       "documentLoader": document_loader})


def base58btc(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = _BASE58[remainder] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + encoded


def base58btc_decode(text: str) -> bytes:
    number = 0
    for ch in text:
        number = number * 58 + _BASE58.index(ch)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "z" + base58btc(MULTIKEY_ED25519_PREFIX + raw)


def _hash_data(unsecured: dict, proof_options: dict) -> bytes:
    options = {**proof_options, "@context": unsecured["@context"]}
    return hashlib.sha256(canonical(options).encode()).digest() + hashlib.sha256(canonical(unsecured).encode()).digest()


def sign(credential: dict, key: Ed25519PrivateKey, verification_method: str, created: datetime) -> dict:
    """The credential with a `proof` list holding one DataIntegrityProof."""
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    options = {"type": "DataIntegrityProof", "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
               "verificationMethod": verification_method, "cryptosuite": "eddsa-rdfc-2022",
               "proofPurpose": "assertionMethod"}
    signature = key.sign(_hash_data(unsecured, options))
    return {**unsecured, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}


def verify(credential: dict, public_key: Ed25519PublicKey) -> bool:
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    [proof] = credential["proof"]
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        public_key.verify(base58btc_decode(proof["proofValue"][1:]), _hash_data(unsecured, options))
    except (InvalidSignature, ValueError):
        return False
    return True


def signing_key() -> Ed25519PrivateKey:
    """From SKILLS_HUB_SIGNING_KEY (hex seed); in development, made once under instance/."""
    seed = current_app.config.get("SIGNING_KEY")
    if not seed:
        path = Path(current_app.instance_path) / "signing-key.hex"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(Ed25519PrivateKey.generate().private_bytes_raw().hex())
            path.chmod(0o600)
        seed = path.read_text().strip()
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))


EDS_FRAMEWORK = "Essential Digital Skills framework"
EDS_FRAMEWORK_URL = "https://www.gov.uk/government/publications/essential-digital-skills-framework"


def issuer_id() -> str:
    return f"{current_app.config['BASE_URL']}/issuer"


def verification_method(key: Ed25519PrivateKey) -> str:
    return f"{issuer_id()}#{public_key_multibase(key.public_key())}"


def status_list_url() -> str:
    return f"{issuer_id()}/status/revocation"


def new_salt() -> str:
    return secrets.token_hex(16)


def identity_hash(name: str, salt: str) -> str:
    """Open Badges 3.0 IdentityHash: the algorithm, "$", and the hex SHA-256 of the UTF-8 name followed by the salt."""
    return "sha256$" + hashlib.sha256((name + salt).encode("utf-8")).hexdigest()


def encoded_list(set_bits) -> str:
    """The multibase (base64url, "u") GZIP of the bitstring; bit 0 is the left-most bit of the first byte."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def bit_is_set(encoded: str, index: int) -> bool:
    """Read one bit back, as a verifier does."""
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(index: int) -> dict:
    return {"id": f"{status_list_url()}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(index), "statusListCredential": status_list_url()}


def status_list_credential(revoked_indexes, valid_from: datetime) -> dict:
    """The unsigned BitstringStatusListCredential: a set bit is a revoked or withdrawn certificate."""
    return {
        "@context": [CREDENTIALS_V2],
        "id": status_list_url(),
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {"id": f"{status_list_url()}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": encoded_list(revoked_indexes)},
    }


def credential_for(certificate, code: str, area_labels: dict[str, str]) -> dict:
    """The unsigned OpenBadgeCredential for a certificate, from its frozen fields. The certificate needs its
    status-list index and identity salt (services.give_status_entry)."""
    base = current_app.config["BASE_URL"]
    return {
        "@context": CONTEXT,
        "id": f"{base}/api/v1/certificates/{code}/credential",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": certificate.issuer_name, "url": base},
        "validFrom": certificate.awarded_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": certificate.course_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject",
                            "identityHash": identity_hash(certificate.learner_name, certificate.identity_salt),
                            "identityType": "name", "hashed": True, "salt": certificate.identity_salt}],
            "achievement": {
                "id": f"{base}/courses/{certificate.course_slug}#version-{certificate.course_version}",
                "type": ["Achievement"],
                "name": certificate.course_title,
                "description": f"Completed the Skills Hub course {certificate.course_title}.",
                "criteria": {"narrative": "Finish every lesson of the course and pass its knowledge check."},
                "alignment": [{"type": ["Alignment"], "targetName": area_labels.get(area, area),
                               "targetCode": area, "targetFramework": EDS_FRAMEWORK,
                               "targetUrl": EDS_FRAMEWORK_URL} for area in certificate.eds_areas],
            },
        },
        "credentialStatus": status_entry(certificate.status_list_index),
    }


def issuer_profile(public_keys: list[str]) -> dict:
    """The issuer Profile with every key that signed a credential still valid (so a key can be replaced)."""
    return {
        "@context": CONTEXT, "id": issuer_id(), "type": ["Profile"], "name": current_app.config["ISSUER_NAME"],
        "url": current_app.config["BASE_URL"],
        "verificationMethod": [{"id": f"{issuer_id()}#{key}", "type": "Multikey", "controller": issuer_id(),
                                "publicKeyMultibase": key} for key in public_keys],
    }
