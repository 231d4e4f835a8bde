"""The issuer's revocation list (W3C Bitstring Status List v1.0): each certificate's bit, and the signed list.

A certificate's bit is set while it is revoked or withdrawn; reinstating clears it. Indexes are chosen at random
among the unused ones, so a certificate's place in the list says nothing about when it was issued.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from skills_hub.certificates import credentials
from skills_hub.certificates.models import Certificate
from skills_hub.extensions import db, utcnow

NOT_VALID = ("revoked", "withdrawn")


class StatusListFull(RuntimeError):
    """Every index of the list is taken: a second list is needed."""


def give_status_entry(certificate: Certificate) -> None:
    """Give the certificate its random, unused index and its identity salt, when it has none yet (certificates
    issued before them get theirs when they are signed again). Flushes."""
    if certificate.identity_salt is None:
        certificate.identity_salt = credentials.new_salt()
    if certificate.status_list_index is None:
        taken = db.session.scalar(select(db.func.count()).where(Certificate.status_list_index.is_not(None)))
        if taken >= credentials.STATUS_LIST_BITS:
            raise StatusListFull("The revocation status list is full.")
        while True:
            index = secrets.randbelow(credentials.STATUS_LIST_BITS)
            if db.session.scalar(select(Certificate.id).where(Certificate.status_list_index == index)) is None:
                break
        certificate.status_list_index = index
    db.session.flush()


def revoked_indexes() -> list[int]:
    return list(db.session.scalars(select(Certificate.status_list_index).where(
        Certificate.status.in_(NOT_VALID), Certificate.status_list_index.is_not(None))))


def signed_list() -> dict:
    """The BitstringStatusListCredential as it is now, signed with the issuer's current key."""
    key, now = credentials.signing_key(), utcnow()
    return credentials.sign(credentials.status_list_credential(revoked_indexes(), now), key,
                            credentials.verification_method(key), now)
