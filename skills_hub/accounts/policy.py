"""How "may this user do this (to this person)?" is answered. The actions and the rules that give access live
with the domains that own them (`<domain>/permissions.py`); this module is only the mechanism, and imports no
other domain. Every service that changes something takes the actor and asks here; pages may ask first.

Admins may see every resident. Staff see the learners registered with their branches. Providers see a learner only
through a referral sent to their organisation while the permission to share stands, and then only what the
referral shares (no provider action reads a learner's record). Learners see themselves.
Code that loads another person's record goes through `learner_for`, which answers 404 for a record the user may
not see, so a 403 never confirms that it exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, exists, select

from skills_hub.accounts.models import BranchMember, Role, User
from skills_hub.errors import Conflict, Forbidden, NotFound
from skills_hub.extensions import db


@dataclass(frozen=True)
class Action:
    """Something a user may do, declared by the domain that owns it (in its `permissions.py`): what it is, in words
    that finish "Your account is not allowed to …", and the roles that may do it at all. Actions on a person
    also need the person to be visible to the actor (`learner_for`)."""

    value: str
    roles: frozenset[Role]
    changes_the_record: bool = False  # adds to or changes a resident's record: not for one held, erased or merged


def action(value: str, *roles: Role, changes_the_record: bool = False) -> Action:
    return Action(value, frozenset(roles), changes_the_record)


# The learners each role may see beyond the built-in rules, declared by the domain that gives the access.
_VISIBILITY_RULES: dict[Role, Callable[[User], ColumnElement[bool]]] = {}


def learners_visible_to(role: Role) -> Callable[[Callable[[User], ColumnElement[bool]]],
                                                Callable[[User], ColumnElement[bool]]]:
    """Register the rule (a WHERE clause on User) that says which learners an actor of this role may see."""

    def register(rule: Callable[[User], ColumnElement[bool]]) -> Callable[[User], ColumnElement[bool]]:
        _VISIBILITY_RULES[role] = rule
        return rule

    return register


@dataclass(frozen=True)
class SystemActor:
    """Periodic work acting on its own (the referral deadline tick, retention): no person, so it may do nothing
    that needs a person's permission, but it is named in the audit log."""

    name: str
    id: None = None
    role: None = None
    is_authenticated: bool = False


DEADLINE_TICK = SystemActor("the referral deadline tick")
RETENTION = SystemActor("the retention job")


def person(actor: User | SystemActor | None) -> User | None:
    """The person acting, or None for the system."""
    return None if actor is None or isinstance(actor, SystemActor) else actor


def audit_fields(actor: User | SystemActor | None) -> dict[str, object]:
    """How an audit entry names who acted: a person's id, or the system job's name."""
    if isinstance(actor, SystemActor):
        return {"actor_id": None, "by": actor.name}
    return {"actor_id": actor.id if actor else None}


def allowed(actor: User, action: Action) -> bool:
    return actor.is_authenticated and actor.role in action.roles


def require(actor: User, action: Action) -> None:
    if not allowed(actor, action):
        raise Forbidden(f"Your account is not allowed to {action.value}.")


def branch_ids_of(user: User) -> list[uuid.UUID]:
    return list(db.session.scalars(select(BranchMember.branch_id).where(BranchMember.user_id == user.id)))


def visible_learners(actor: User) -> Select[tuple[User]]:
    """The learners this user may see, as a query to filter further."""
    query = select(User).where(User.role == Role.LEARNER)
    if actor.role == Role.ADMIN:
        return query
    if actor.role == Role.STAFF:
        shares_a_branch = exists().where(
            BranchMember.user_id == User.id,
            BranchMember.branch_id.in_(select(BranchMember.branch_id).where(BranchMember.user_id == actor.id)))
        return query.where(shares_a_branch)
    if actor.role == Role.LEARNER:
        return query.where(User.id == actor.id)
    if actor.role in _VISIBILITY_RULES:
        return query.where(_VISIBILITY_RULES[actor.role](actor))
    return query.where(False)


def may_see(actor: User, learner: User) -> bool:
    if learner.role != Role.LEARNER:
        return False
    return db.session.scalar(visible_learners(actor).where(User.id == learner.id).with_only_columns(User.id)) \
        is not None


def learner_for(actor: User, learner_id: uuid.UUID | str, action: Action) -> User:
    """The learner, when the actor may do `action` to them; otherwise 404, as if they did not exist."""
    try:
        learner_id = uuid.UUID(str(learner_id))
    except ValueError:
        raise NotFound("There is no resident with this id.") from None
    learner = None
    if allowed(actor, action):
        learner = db.session.scalar(visible_learners(actor).where(User.id == learner_id))
    if learner is None:
        raise NotFound("There is no resident with this id.")
    if action.changes_the_record:
        refuse_if_not_live(learner)
    return learner


def refuse_if_not_live(learner: User) -> None:
    if learner.erased_at is not None:
        raise Conflict("This resident's record was erased at their request. Nothing more can be added to it.")
    if learner.merged_into_id is not None:
        raise Conflict("This record was merged into another one. Use that record instead.",
                       extra={"merged_into": str(learner.merged_into_id)})
    if learner.held_for_review:
        raise Conflict("This resident may already have an account. Check it on the Possible duplicates page "
                       "first.")


def page_for(*roles: Role) -> Callable:
    """A page only these roles may open: signed-out people are sent to sign in, anyone else gets 404, so the
    answer never confirms that the page exists."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapper

    return decorate
