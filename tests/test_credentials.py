"""Open Badges 3.0: the official eddsa-rdfc-2022 test vector byte for byte, credentials that validate against the
1EdTech schema and verify with the issuer's published key, offline canonicalisation, and key rotation."""

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from skills_hub.accounts.models import Role
from skills_hub.certificates import credentials
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
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Nguyễn Văn An"
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
