"""The one place that answers "may this user do this (to this person)?". Every page and endpoint asks it.

Admins may do everything. Staff see the learners registered with their branches. Providers see a learner only
through a referral sent to their organisation while the permission to share stands, and then only what the
referral shares (no provider action reads a learner's record). Learners see themselves.
Code that loads another person's record goes through `learner_for`, which answers 404 for a record the user may
not see, so a 403 never confirms that it exists.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, exists, select

from skills_hub.accounts.models import BranchMember, Role, User
from skills_hub.errors import Conflict, Forbidden, NotFound
from skills_hub.extensions import db


class Action(enum.StrEnum):
    REGISTER_LEARNER = "register a resident"
    FIND_LEARNER = "look up a resident by learner number, or by name and date of birth"
    SEARCH_LEARNERS = "search residents"
    LINK_LEARNER = "link a resident to your branch"
    VIEW_LEARNER = "see this resident's details"
    EDIT_LEARNER = "change this resident's details"
    RESET_PIN = "reset this resident's PIN"
    PRINT_CARD = "print this resident's login card"
    RECORD_LEARNING = "enrol this resident and record their progress"
    REFER = "refer this resident to a local provider"
    READ_AUDIT = "read the audit log"
    MANAGE_ACCOUNTS = "manage branches, organisations and users"


# Who may do each action at all. Actions on a person also need `may_see(actor, learner)`.
_ROLES: dict[Action, frozenset[Role]] = {
    Action.REGISTER_LEARNER: frozenset({Role.STAFF, Role.ADMIN}),
    Action.FIND_LEARNER: frozenset({Role.STAFF, Role.ADMIN}),
    Action.SEARCH_LEARNERS: frozenset({Role.STAFF, Role.ADMIN}),
    Action.LINK_LEARNER: frozenset({Role.STAFF, Role.ADMIN}),
    Action.VIEW_LEARNER: frozenset({Role.STAFF, Role.ADMIN, Role.LEARNER}),
    Action.EDIT_LEARNER: frozenset({Role.STAFF, Role.ADMIN}),
    Action.RESET_PIN: frozenset({Role.STAFF, Role.ADMIN}),
    Action.PRINT_CARD: frozenset({Role.STAFF, Role.ADMIN}),
    Action.RECORD_LEARNING: frozenset({Role.STAFF, Role.ADMIN, Role.LEARNER}),
    Action.REFER: frozenset({Role.STAFF, Role.ADMIN, Role.LEARNER}),
    Action.READ_AUDIT: frozenset({Role.ADMIN}),
    Action.MANAGE_ACCOUNTS: frozenset({Role.ADMIN}),
}


def allowed(actor: User, action: Action) -> bool:
    return actor.is_authenticated and actor.role in _ROLES[action]


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
    if actor.role == Role.PROVIDER and actor.organisation_id is not None:
        from skills_hub.referrals.models import Referral, SharingPermission

        referred_to_them = exists().where(
            Referral.learner_id == User.id, Referral.organisation_id == actor.organisation_id,
            SharingPermission.id == Referral.permission_id, SharingPermission.withdrawn_at.is_(None))
        return query.where(referred_to_them)
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
    if action in CHANGES_THE_RECORD:
        refuse_if_not_live(learner)
    return learner


# Actions that add to or change a resident's record: not for one held as a suspected duplicate, erased, or merged.
CHANGES_THE_RECORD = frozenset({Action.EDIT_LEARNER, Action.RESET_PIN, Action.PRINT_CARD, Action.RECORD_LEARNING,
                                Action.REFER, Action.LINK_LEARNER})


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
