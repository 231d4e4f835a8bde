"""Open Badges 3.0: the official eddsa-rdfc-2022 test vector byte for byte, credentials that validate against the
1EdTech schema and verify with the issuer's published key, offline canonicalisation, and key rotation."""

import base64
import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from skills_hub import storage
from skills_hub.accounts.models import Role
from skills_hub.certificates import credentials, pdf, status_list
from skills_hub.certificates.models import Certificate
from skills_hub.eds import EDS_AREAS
from skills_hub.extensions import db
from tests.test_certificates import completed  # noqa: F401 (a fixture)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openbadges"
SEED = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"


def fixture(name: str):
    path = FIXTURES / name
    return json.loads(path.read_text()) if name.endswith(".json") else path.read_text()


def test_the_official_test_vector_is_reproduced_byte_for_byte():
    credential, options = fixture("vector-credential.json"), fixture("vector-proof-options.json")
    document = credentials.canonical(credential)
    assert document == fixture("document-canon.txt")
    assert hashlib.sha256(document.encode()).hexdigest() == \
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    assert credentials.canonical({**options, "@context": credential["@context"]}) == fixture("proof-canon.txt")
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(SEED))
    signed = credentials.sign(credential, key, options["verificationMethod"],
                              datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC))
    assert signed["proof"][0]["proofValue"] == \
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
    assert options["verificationMethod"].endswith("#" + credentials.public_key_multibase(key.public_key()))
    assert credentials.verify(signed, key.public_key())


def test_canonicalisation_never_fetches_a_context_from_the_network():
    with pytest.raises(Exception) as raised:
        credentials.canonical({"@context": "https://example.org/context", "name": "x"})
    causes, error = [], raised.value
    while error is not None:
        causes.append(error)
        error = getattr(error, "cause", None) or error.__cause__
    assert any(isinstance(cause, credentials.RefusedContext) for cause in causes), causes


def test_a_completed_course_gives_a_credential_that_validates_and_verifies(app, client, completed,  # noqa: F811
                                                                         drain_jobs, bearer):
    learner, code = completed
    drain_jobs()
    response = client.get(f"/api/v1/certificates/{code}/credential", headers=bearer(learner))
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    credential = response.get_json(force=True)
    schema = fixture("ob_v3p0_achievementcredential.schema.json")
    jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER) \
        .validate(credential)
    [identifier] = credential["credentialSubject"]["identifier"]
    assert identifier["hashed"] is True and identifier["identityType"] == "name" and len(identifier["salt"]) == 32
    assert identifier["identityHash"] == "sha256$" + hashlib.sha256(
        ("Nguyễn Văn An" + identifier["salt"]).encode()).hexdigest()
    assert "Nguyễn" not in json.dumps(credential, ensure_ascii=False)
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    assert entry["statusListCredential"] == app.config["BASE_URL"] + "/issuer/status/revocation"
    assert 0 <= int(entry["statusListIndex"]) < 131_072 and entry["id"].endswith("#" + entry["statusListIndex"])
    alignment = credential["credentialSubject"]["achievement"]["alignment"]
    assert {a["targetCode"] for a in alignment} == {"communicating", "being-safe-online"}
    [proof] = credential["proof"]
    profile = client.get("/issuer").get_json()
    [method] = [m for m in profile["verificationMethod"] if m["id"] == proof["verificationMethod"]]
    raw = credentials.base58btc_decode(method["publicKeyMultibase"][1:])
    public_key = Ed25519PublicKey.from_public_bytes(raw[2:])
    assert credentials.verify(credential, public_key)
    tampered = {**credential, "name": "Something else"}
    assert not credentials.verify(tampered, public_key)


def test_the_issuer_lists_old_keys_while_their_credentials_are_valid(app, client, completed, drain_jobs,  # noqa: F811
                                                                     make_user, bearer):
    _, code = completed
    drain_jobs()
    old_key = client.get("/issuer").get_json()["verificationMethod"][0]["publicKeyMultibase"]
    original = app.config["SIGNING_KEY"]
    app.config["SIGNING_KEY"] = Ed25519PrivateKey.generate().private_bytes_raw().hex()
    try:
        keys = [m["publicKeyMultibase"] for m in client.get("/issuer").get_json()["verificationMethod"]]
        assert len(keys) == 2 and old_key in keys
        client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Issued by mistake"},
                    headers=bearer(make_user(Role.ADMIN)))
        keys = [m["publicKeyMultibase"] for m in client.get("/issuer").get_json()["verificationMethod"]]
        assert old_key not in keys and len(keys) == 1
    finally:
        app.config["SIGNING_KEY"] = original


def issuer_key(client, proof) -> Ed25519PublicKey:
    profile = client.get("/issuer").get_json()
    [method] = [m for m in profile["verificationMethod"] if m["id"] == proof["verificationMethod"]]
    return Ed25519PublicKey.from_public_bytes(credentials.base58btc_decode(method["publicKeyMultibase"][1:])[2:])


def test_the_bitstring_is_gzip_multibase_of_16_kb_with_bit_0_leftmost():
    encoded = credentials.encoded_list([0, 9, 131_071])
    assert encoded.startswith("u") and "=" not in encoded and "+" not in encoded and "/" not in encoded
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) == 16_384 and bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    assert sum(bin(byte).count("1") for byte in bits) == 3
    assert credentials.bit_is_set(encoded, 9) and not credentials.bit_is_set(encoded, 8)


def status_bit(client, index: int) -> bool:
    response = client.get("/issuer/status/revocation")
    assert response.status_code == 200 and response.mimetype == "application/vc+ld+json"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    status = response.get_json(force=True)
    assert status["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status["credentialSubject"]["type"] == "BitstringStatusList"
    assert status["credentialSubject"]["statusPurpose"] == "revocation"
    assert credentials.verify(status, issuer_key(client, status["proof"][0]))
    forged = {**status, "validFrom": "2020-01-01T00:00:00Z"}
    assert not credentials.verify(forged, issuer_key(client, status["proof"][0]))
    return credentials.bit_is_set(status["credentialSubject"]["encodedList"], index)


def test_revoking_withdrawing_and_reinstating_change_the_bit_in_the_signed_status_list(
        app, client, completed, drain_jobs, make_user, bearer):  # noqa: F811
    learner, code = completed
    drain_jobs()
    credential = client.get(f"/api/v1/certificates/{code}/credential", headers=bearer(learner)).get_json(force=True)
    index = int(credential["credentialStatus"]["statusListIndex"])
    assert status_bit(client, index) is False
    admin = bearer(make_user(Role.ADMIN))
    client.post(f"/api/v1/certificates/{code}/revoke", json={"reason": "Issued by mistake"}, headers=admin)
    assert status_bit(client, index) is True
    client.post(f"/api/v1/certificates/{code}/reinstate", json={"reason": "Right after all"}, headers=admin)
    assert status_bit(client, index) is False
    with app.app_context():
        db.session.scalars(select(Certificate)).one().status = "withdrawn"
        db.session.commit()
    assert status_bit(client, index) is True


def test_a_status_list_index_is_chosen_at_random_among_the_unused(app, completed, monkeypatch):  # noqa: F811
    with app.app_context():
        taken = db.session.scalars(select(Certificate)).one().status_list_index
        draws = iter([taken, taken, 4242])
        monkeypatch.setattr(status_list.secrets, "randbelow", lambda n: next(draws))
        other = Certificate()
        status_list.give_status_entry(other)
        assert other.status_list_index == 4242 and other.identity_salt and other.identity_salt != \
            db.session.scalars(select(Certificate)).one().identity_salt


def sign_the_old_way(certificate: Certificate) -> None:
    """A credential as it was signed before status entries: no credentialStatus, the plain name."""
    key = credentials.signing_key()
    unsigned = credentials.credential_for(certificate, "x", EDS_AREAS)
    del unsigned["credentialStatus"]
    unsigned["credentialSubject"]["identifier"] = [{"type": "IdentityObject", "identityHash": certificate.learner_name,
                                                    "identityType": "name", "hashed": False}]
    signed = credentials.sign(unsigned, key, credentials.verification_method(key), datetime(2026, 6, 1, tzinfo=UTC))
    storage.save(pdf.credential_key(certificate), json.dumps(signed).encode(), "application/vc+ld+json")
    certificate.status_list_index = certificate.identity_salt = None
    db.session.commit()


def test_credentials_signed_before_are_signed_again_by_a_command_once(app, client, completed,  # noqa: F811
                                                                      drain_jobs):
    drain_jobs()
    with app.app_context():
        sign_the_old_way(db.session.scalars(select(Certificate)).one())
    runner = app.test_cli_runner()
    done = runner.invoke(args=["certificates", "sign-again"])
    assert done.exit_code == 0 and "Signed 1 credential again." in done.output
    assert "Signed 0 credentials again." in runner.invoke(args=["certificates", "sign-again"]).output
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        credential = json.loads(storage.load(pdf.credential_key(certificate)))
        assert credential["credentialStatus"]["statusListIndex"] == str(certificate.status_list_index)
        assert credential["credentialSubject"]["identifier"][0]["hashed"] is True
    assert credentials.verify(credential, issuer_key(client, credential["proof"][0]))


def test_a_credential_signed_before_is_signed_again_when_it_is_served(app, client, completed, drain_jobs,  # noqa: F811
                                                                     bearer):
    learner, code = completed
    drain_jobs()
    with app.app_context():
        sign_the_old_way(db.session.scalars(select(Certificate)).one())
    credential = client.get(f"/api/v1/certificates/{code}/credential", headers=bearer(learner)).get_json(force=True)
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    assert credential["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")
    assert credentials.verify(credential, issuer_key(client, credential["proof"][0]))
    with app.app_context():
        certificate = db.session.scalars(select(Certificate)).one()
        assert json.loads(storage.load(pdf.credential_key(certificate)))["credentialStatus"] == \
            credential["credentialStatus"]
        assert int(credential["credentialStatus"]["statusListIndex"]) == certificate.status_list_index
