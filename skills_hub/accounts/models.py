"""People and the places they belong to: users, library branches, provider organisations."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from skills_hub.extensions import db, utcnow


class Role(enum.StrEnum):
    LEARNER = "learner"
    STAFF = "staff"
    PROVIDER = "provider"
    ADMIN = "admin"


class Branch(db.Model):
    __tablename__ = "branches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Organisation(db.Model):
    """A training provider's organisation."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(UserMixin, db.Model):
    """Anyone who signs in: a resident (learner), library staff, a provider's user, or an admin."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20,
                                            values_callable=lambda roles: [r.value for r in roles]))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    learner_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active


class BranchMember(db.Model):
    """A staff member working at a branch, or a learner registered with it."""

    __tablename__ = "branch_members"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    branch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), primary_key=True,
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
