"""Two-step verification: a TOTP code from an authenticator app, or a one-time recovery code.

The TOTP secret is kept encrypted with a key derived from SKILLS_HUB_SECRET_KEY; recovery codes are kept as
SHA-256 hashes. Staff, provider and admin accounts must use it when SKILLS_HUB_REQUIRE_MFA is on (the
production default); residents may turn it on, and are never made to.
"""

from __future__ import annotations

import base64
import hashlib

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from skills_hub import codes
from skills_hub.accounts.models import User
from skills_hub.extensions import utcnow

ISSUER = "Skills Hub"
RECOVERY_CODES = 10


def _box() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"skills-hub two-step secrets").derive(
        current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(key))


def new_secret() -> str:
    return pyotp.random_base32()


def setup_qr(user: User, secret: str) -> str:
    """An SVG data URI of the otpauth:// link, for the authenticator app to scan."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email or user.learner_number or str(user.id),
                                              issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def code_is_right(secret: str, code: str) -> bool:
    """A current code (one 30-second step either side is allowed for clock drift)."""
    code = "".join(code.split())
    return code.isdigit() and len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


def _hash(code: str) -> str:
    return hashlib.sha256(codes.normalise(code).encode()).hexdigest()


def turn_on(user: User, secret: str) -> list[str]:
    """Save the secret and return new recovery codes, shown once. The caller commits."""
    recovery = [codes.grouped(codes.generate(8)) for _ in range(RECOVERY_CODES)]
    user.mfa_secret = _box().encrypt(secret.encode()).decode()
    user.mfa_recovery_hashes = [_hash(code) for code in recovery]
    user.mfa_enabled_at = utcnow()
    return recovery


def turn_off(user: User) -> None:
    user.mfa_secret = None
    user.mfa_recovery_hashes = []
    user.mfa_enabled_at = None


def is_on(user: User) -> bool:
    return user.mfa_secret is not None


def required_for(user: User) -> bool:
    return bool(current_app.config["REQUIRE_MFA"]) and user.is_staff_like


def verify(user: User, code: str) -> bool:
    """True for a right TOTP code, or an unused recovery code (which is then used up). The caller commits."""
    try:
        secret = _box().decrypt(user.mfa_secret.encode()).decode()
    except InvalidToken:
        return False  # the secret key changed: an admin must reset this account's two-step verification
    if code_is_right(secret, code):
        return True
    digest = _hash(code)
    if digest in (user.mfa_recovery_hashes or []):
        user.mfa_recovery_hashes = [h for h in user.mfa_recovery_hashes if h != digest]
        return True
    return False
