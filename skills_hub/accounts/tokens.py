"""Secrets we hand out and keep only as hashes: API bearer tokens and single-use links sent by email."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from skills_hub.accounts.models import ApiToken, OneTimeLink, User
from skills_hub.extensions import db, utcnow

API_TOKEN_DAYS = 30
DEVICE_TOKEN_DAYS = 90
LINK_MINUTES = {"reset_password": 30, "confirm_email": 24 * 60, "invitation": 7 * 24 * 60}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_api_token(user: User, name: str, days: int = API_TOKEN_DAYS) -> tuple[str, ApiToken]:
    """A new bearer token. The secret is returned once; only its hash is kept."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret),
                     expires_at=utcnow() + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return secret, token


def user_for_api_token(secret: str) -> tuple[User, ApiToken] | None:
    """The token's user, in one query, while the token is live and the user active."""
    found = db.session.execute(select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow(),
        User.active.is_(True))).first()
    return (found[0], found[1]) if found else None


def revoke_api_tokens(user: User) -> None:
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def live_api_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                               ApiToken.expires_at > utcnow()).order_by(ApiToken.created_at.desc())))


# Links that give an address to the account: a newer one ends the older ones, so one address waits at a time.
ADDRESS_LINKS = ("confirm_email", "invitation")


def account_state(user: User) -> str:
    """A hash of what a link may be made for: the password, the email address and the PIN. Any change to one of
    them (a reset, an email change, a new PIN, erasure) ends every link made before it."""
    state = "\x00".join(value or "" for value in (user.password_hash, user.email, user.pin_hash))
    return _digest(state)


def issue_link(user: User, purpose: str, new_email: str | None = None) -> str:
    """A single-use link token; earlier unused links for the same purpose stop working (for an address, earlier
    links giving any address)."""
    now = utcnow()
    purposes = ADDRESS_LINKS if purpose in ADDRESS_LINKS else (purpose,)
    db.session.execute(update(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.purpose.in_(purposes),
                                                 OneTimeLink.used_at.is_(None)).values(used_at=now))
    secret = secrets.token_urlsafe(32)
    db.session.add(OneTimeLink(user_id=user.id, purpose=purpose, token_hash=_digest(secret), new_email=new_email,
                               expires_at=now + timedelta(minutes=LINK_MINUTES[purpose]),
                               state_hash=account_state(user)))
    db.session.flush()
    return secret


def _live(link: OneTimeLink | None) -> OneTimeLink | None:
    """The link while it is unused, unexpired, and the account is as it was when the link was made."""
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        return None
    user = db.session.get(User, link.user_id)
    if user is None or link.state_hash is None or link.state_hash != account_state(user):
        return None
    return link


def find_link(secret: str, purpose: str) -> OneTimeLink | None:
    """The link, while it is unused, unexpired and made for the account as it is now."""
    return _live(db.session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == _digest(secret),
                                                             OneTimeLink.purpose == purpose)))


def pending_email(user: User) -> str | None:
    """The address waiting for its owner to confirm it from the link sent there, if any."""
    return pending_emails([user]).get(user.id)


def waiting_elsewhere(email: str) -> bool:
    """Whether an account already waits for this address to be confirmed (two new residents never share one)."""
    links = db.session.scalars(select(OneTimeLink).where(
        OneTimeLink.new_email == email.strip().lower(), OneTimeLink.purpose.in_(ADDRESS_LINKS),
        OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > utcnow()))
    return any(_live(link) for link in links)


def pending_emails(users: list[User]) -> dict:
    """Each user's address waiting to be confirmed, in one query (a newer address link ends the older ones)."""
    by_id = {user.id: user for user in users}
    if not by_id:
        return {}
    links = db.session.scalars(select(OneTimeLink).where(
        OneTimeLink.user_id.in_(by_id), OneTimeLink.purpose.in_(ADDRESS_LINKS), OneTimeLink.new_email.is_not(None),
        OneTimeLink.used_at.is_(None), OneTimeLink.expires_at > utcnow()))
    return {link.user_id: link.new_email for link in links
            if link.state_hash is not None and link.state_hash == account_state(by_id[link.user_id])}


def use_link(link: OneTimeLink, now: datetime | None = None) -> None:
    link.used_at = now or utcnow()
