"""Account services: create people, check their sign-in details, find their branches."""

from __future__ import annotations

import secrets
import uuid

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from skills_hub import codes
from skills_hub.accounts.models import Branch, BranchMember, Organisation, Role, User
from skills_hub.errors import ValidationFailed
from skills_hub.extensions import db

LEARNER_NUMBER_LENGTH = 8
PIN_LENGTH = 6
# Checked against when an account is unknown, so that a wrong email takes as long as a wrong password.
_UNKNOWN_ACCOUNT_HASH = generate_password_hash(secrets.token_hex(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_learner_number() -> str:
    """A fresh learner number (7 random characters and a check character), not used before."""
    while True:
        number = codes.generate(LEARNER_NUMBER_LENGTH)
        if db.session.scalar(select(User.id).where(User.learner_number == number)) is None:
            return number


def new_pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))


def hash_secret(secret: str) -> str:
    """A password or PIN, hashed (scrypt unless the configuration says otherwise)."""
    return generate_password_hash(secret, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(*, role: Role, given_name: str, family_name: str, email: str | None = None,
                password: str | None = None, learner_number: str | None = None, pin: str | None = None,
                organisation: Organisation | None = None, branches: list[Branch] = (), is_demo: bool = False) -> User:
    """Add a user. Flushes, never commits."""
    user = User(
        id=uuid.uuid4(), role=role, given_name=given_name, family_name=family_name,
        email=normalise_email(email) if email else None,
        password_hash=hash_secret(password) if password else None,
        learner_number=learner_number, pin_hash=hash_secret(pin) if pin else None,
        organisation_id=organisation.id if organisation else None, is_demo=is_demo,
    )
    db.session.add(user)
    db.session.flush()
    for branch in branches:
        db.session.add(BranchMember(user_id=user.id, branch_id=branch.id))
    db.session.flush()
    return user


def authenticate_by_email(email: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or user.password_hash is None:
        check_password_hash(_UNKNOWN_ACCOUNT_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) and user.active else None


def authenticate_by_pin(learner_number: str, pin: str) -> User | None:
    """Raises ValidationFailed when the number cannot be right (a typo), so the learner can fix it."""
    number = codes.normalise(learner_number)
    if not codes.is_well_formed(number, LEARNER_NUMBER_LENGTH):
        message = "A learner number has 8 letters and numbers, like ABCD-1234."
        raise ValidationFailed(message, errors={"learner_number": [message]})
    if not codes.has_valid_check(number):
        message = "This learner number looks mistyped. Check it against your login card."
        raise ValidationFailed(message, errors={"learner_number": [message]})
    user = db.session.scalar(select(User).where(User.learner_number == number))
    if user is None or user.pin_hash is None:
        check_password_hash(_UNKNOWN_ACCOUNT_HASH, pin)
        return None
    return user if check_password_hash(user.pin_hash, pin.strip()) and user.active else None


def branch_names(user: User) -> list[str]:
    return list(db.session.scalars(
        select(Branch.name).join(BranchMember, BranchMember.branch_id == Branch.id)
        .where(BranchMember.user_id == user.id).order_by(Branch.name)))
