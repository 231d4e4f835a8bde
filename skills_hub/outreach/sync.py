"""`POST /api/v1/sync`: operations recorded on a device with no connection, applied in order, each on its own.

Each operation runs in its own SAVEPOINT, so one bad operation never loses the others. What was applied is kept
(`SyncOperation`), so a replayed op_id answers `replayed` and changes nothing, and the same op_id with another
payload is `rejected`, never applied. A rejected operation is not kept: fixed and sent again, it is tried again.
A resident who probably has an account already is kept but held (`duplicate_suspected`); operations for them
wait (`held`) until staff resolve it, then run as the staff member who recorded them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from skills_hub import codes
from skills_hub.accounts import policy
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import User
from skills_hub.accounts.permissions import REGISTER_LEARNER, VIEW_LEARNER
from skills_hub.accounts.schemas import LearnerCreate
from skills_hub.endpoints import InputSchema
from skills_hub.errors import DomainError
from skills_hub.extensions import db, is_locked, utcnow
from skills_hub.learning import services as learning
from skills_hub.learning.permissions import RECORD_LEARNING
from skills_hub.outreach.models import OPERATION_TYPES, Attendance, SyncOperation
from skills_hub.validation import REQUIRED

log = logging.getLogger("skills_hub.outreach")
CLOCK_AHEAD = timedelta(minutes=5)
EARLIEST, LATEST = 2000, 2100
MAX_OPERATIONS = 500
MAX_BYTES = 1024 * 1024


class Held(Exception):
    """The operation's learner is a suspected duplicate waiting for staff."""

    def __init__(self, learner: User):
        self.learner = learner


class OperationEnvelope(InputSchema):
    op_id = fields.UUID(required=True, error_messages=REQUIRED)
    type = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(
        OPERATION_TYPES, error="Must be one of: " + ", ".join(OPERATION_TYPES) + "."))
    recorded_at = fields.AwareDateTime(required=True, error_messages={
        **REQUIRED, "invalid": "Give a date and time with an offset, like 2026-11-28T10:15:00+00:00.",
        "invalid_awareness": "Give the time with its offset, like +00:00."})
    payload = fields.Dict(required=True, error_messages=REQUIRED)

    @validates("recorded_at")
    def _a_real_time(self, value: datetime, **_: Any) -> None:
        if not EARLIEST <= value.year <= LATEST or not EARLIEST <= value.astimezone(UTC).year <= LATEST:
            raise ValidationError(f"Check the device's clock: a time between {EARLIEST} and {LATEST}.")


class _LearnerRef(InputSchema):
    learner_id = fields.UUID(load_default=None)
    learner_client_id = fields.UUID(load_default=None)

    @validates_schema
    def _one_of_them(self, data: dict, **_: Any) -> None:
        if (data.get("learner_id") is None) == (data.get("learner_client_id") is None):
            raise ValidationError("Give learner_id or learner_client_id (one of them).", "learner_id")


class EnrolPayload(_LearnerRef):
    course = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=80))


class ProgressPayload(EnrolPayload):
    lesson = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=80))
    assisted = fields.Boolean(load_default=True)


class AttendancePayload(_LearnerRef):
    session_date = fields.Date(required=True, error_messages={**REQUIRED, "invalid": "Give a date like 2026-11-28."})
    venue = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(
        min=1, max=200, error="Name the place, in up to 200 characters."))

    @validates("session_date")
    def _not_ahead(self, value, **_: Any) -> None:
        if value > utcnow().date() + timedelta(days=1):
            raise ValidationError("The session has not happened yet. Check the date (and the device's clock).")


def _hash(envelope: dict) -> str:
    return hashlib.sha256(json.dumps({"type": envelope["type"], "payload": envelope["payload"]}, sort_keys=True,
                                     default=str).encode()).hexdigest()


COMMIT_EVERY = 100  # the sync endpoint commits this often: a crash mid-batch loses at most this many (sent again)


def apply_one(actor: User, device_id: str, raw: Any) -> dict:
    """Apply one operation sent from an offline device, in its own savepoint. Flushes, never commits."""
    policy.require(actor, REGISTER_LEARNER)
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    try:
        envelope = OperationEnvelope().load(raw)
    except ValidationError as error:
        return {"op_id": op_id, "status": "rejected", "errors": error.normalized_messages()}
    op_id, payload_hash = envelope["op_id"], _hash(envelope)
    earlier = db.session.get(SyncOperation, op_id)
    if earlier is not None:
        return _replayed(actor, earlier, payload_hash)
    flags = ["clock_ahead"] if envelope["recorded_at"] > utcnow() + CLOCK_AHEAD else []
    savepoint = db.session.begin_nested()
    try:
        status, result = _HANDLERS[envelope["type"]](actor, envelope)
        waiting = None
    except Held as held:
        status, result, waiting = "held", {"ref": str(held.learner.id)}, held.learner.id
    except ValidationError as error:
        savepoint.rollback()
        return {"op_id": str(op_id), "status": "rejected", "errors": {"payload": error.normalized_messages()}}
    except DomainError as error:
        savepoint.rollback()
        return {"op_id": str(op_id), "status": "rejected",
                "errors": {"payload": error.errors or {"_schema": [error.detail]}}}
    except (SQLAlchemyError, ArithmeticError, ValueError) as error:  # the database refused it: this one alone
        savepoint.rollback()
        if is_locked(error):  # another process is writing: not this record's fault, so the batch waits and retries
            raise
        log.warning("a sync operation was refused by the database", extra={"fields": {"error": type(error).__name__}})
        return {"op_id": str(op_id), "status": "rejected", "errors": {"payload": {"_schema": [
            "The server could not save this record. Check it, and send it again."]}}}
    if flags:
        result["flags"] = flags
    db.session.add(SyncOperation(op_id=op_id, device_id=device_id, user_id=actor.id, type=envelope["type"],
                                 payload=json.loads(json.dumps(envelope["payload"], default=str)),
                                 payload_hash=payload_hash, recorded_at=envelope["recorded_at"], status=status,
                                 result=result, waiting_for_learner_id=waiting))
    try:
        savepoint.commit()
    except IntegrityError:  # the same op_id saved at this moment by another request: answer as its replay
        savepoint.rollback()
        earlier = db.session.get(SyncOperation, op_id, populate_existing=True)
        if earlier is None:
            raise
        return _replayed(actor, earlier, payload_hash)
    return {"op_id": str(op_id), "status": status, **result}


def _replayed(actor: User, earlier: SyncOperation, payload_hash: str) -> dict:
    if earlier.payload_hash != payload_hash or earlier.user_id != actor.id:
        return {"op_id": str(earlier.op_id), "status": "rejected", "errors": {"op_id": [
            "This op_id was used before with a different operation. Nothing was changed: give this record "
            "a new op_id."]}}
    return {"op_id": str(earlier.op_id), "status": "replayed", **_current(earlier)}


def _pin_still_pending(result: dict) -> dict:
    """A replay says pin_pending only while the resident still has no PIN."""
    if not result.get("pin_pending"):
        return result
    learner = db.session.get(User, uuid.UUID(result["ref"]))
    if learner is None or learner.pin_hash is not None or learner.merged_into_id:
        return {key: value for key, value in result.items() if key != "pin_pending"}
    return result


def _current(operation: SyncOperation) -> dict:
    """What a replay answers: the first result, pointing at the record a created resident was merged into since."""
    result = dict(operation.result)
    if operation.type == "create_learner" and result.get("ref"):
        learner = db.session.get(User, uuid.UUID(result["ref"]))
        while learner is not None and learner.merged_into_id:
            learner = db.session.get(User, learner.merged_into_id)
        if learner is not None and str(learner.id) != result["ref"]:
            result["ref"] = str(learner.id)
            result["learner_number"] = codes.grouped(learner.learner_number) if learner.learner_number else None
    return _pin_still_pending(result)


# One handler per operation type: (status, result to keep) -------------------------------------------------------

def _create_learner(actor: User, envelope: dict) -> tuple[str, dict]:
    """No PIN is made here (a production PIN hash costs ~0.1 s: 500 of them outlast the server's timeout); the
    result says pin_pending, and staff make the PINs when they hand out the cards."""
    body = LearnerCreate().load(envelope["payload"])
    if body.get("client_id") is None:
        raise ValidationError({"client_id": ["Give the UUID the device made for this resident."]})
    registration = accounts.register_learner(actor, body, hold_duplicates="sync", make_pin=False)
    learner = registration.learner
    if registration.held:
        return "duplicate_suspected", {"ref": str(learner.id)}
    result = {"ref": str(learner.id), "learner_number": codes.grouped(learner.learner_number)}
    if not body.get("email") and learner.pin_hash is None:
        result["pin_pending"] = True  # staff make the PIN with POST /api/v1/learners/pins
    return "applied", result


def learner_named(actor: User, payload: dict) -> User:
    """The learner an operation is about, by server id or by the client id it was created with. A merged record
    leads to the record it was merged into; a held one raises Held."""
    policy.require(actor, RECORD_LEARNING)
    if payload.get("learner_id"):
        learner = policy.learner_for(actor, payload["learner_id"], VIEW_LEARNER)
    else:
        learner = db.session.scalar(select(User).where(User.client_id == payload["learner_client_id"]))
        if learner is None or not (learner.created_by_id == actor.id or policy.may_see(actor, learner)):
            raise ValidationError({"learner_client_id": [
                "No resident was created with this learner_client_id. Send their create_learner first."]})
    seen = set()
    while learner.merged_into_id and learner.id not in seen:
        seen.add(learner.id)
        learner = db.session.get(User, learner.merged_into_id)
    if learner.held_for_review:
        raise Held(learner)
    policy.refuse_if_not_live(learner)  # erased
    return learner


def _enrol(actor: User, envelope: dict) -> tuple[str, dict]:
    payload = EnrolPayload().load(envelope["payload"])
    learner = learner_named(actor, payload)
    enrolment, _ = learning.enrol(learner, learning.course_named(payload["course"]), by=actor)
    return "applied", {"ref": str(enrolment.id)}


def _record_progress(actor: User, envelope: dict) -> tuple[str, dict]:
    payload = ProgressPayload().load(envelope["payload"])
    learner = learner_named(actor, payload)
    learning.enrol(learner, learning.course_named(payload["course"]), by=actor)
    recorded = learning.record_progress(actor, learner.id, {
        "event_id": envelope["op_id"], "course": payload["course"], "lesson": payload["lesson"],
        "assisted": payload["assisted"], "occurred_at": min(envelope["recorded_at"], utcnow())})
    return "applied", {"ref": str(recorded.progress.id)}


def _record_attendance(actor: User, envelope: dict) -> tuple[str, dict]:
    payload = AttendancePayload().load(envelope["payload"])
    learner = learner_named(actor, payload)
    actor_branches = set(policy.branch_ids_of(actor))
    learner_branches = [b for b in policy.branch_ids_of(learner) if b in actor_branches] or \
        policy.branch_ids_of(learner)
    attendance = Attendance(learner_id=learner.id, branch_id=learner_branches[0] if learner_branches else None,
                            session_date=payload["session_date"], venue=payload["venue"].strip(),
                            recorded_by_id=actor.id, recorded_at=min(envelope["recorded_at"], utcnow()))
    db.session.add(attendance)
    db.session.flush()
    return "applied", {"ref": str(attendance.id)}


_HANDLERS = {"create_learner": _create_learner, "enrol": _enrol, "record_progress": _record_progress,
             "record_attendance": _record_attendance}


def held_operations(learner_id: uuid.UUID) -> list[SyncOperation]:
    return list(db.session.scalars(select(SyncOperation).where(SyncOperation.waiting_for_learner_id == learner_id,
                                                               SyncOperation.status == "held")
                                   .order_by(SyncOperation.received_at, SyncOperation.op_id)))


def release_held(learner_id: uuid.UUID) -> list[dict]:
    """Run the operations held for this learner, now that staff have resolved them (as whoever recorded them)."""
    results = []
    for operation in held_operations(learner_id):
        recorder = db.session.get(User, operation.user_id)
        envelope = {"op_id": operation.op_id, "type": operation.type, "payload": operation.payload,
                    "recorded_at": operation.recorded_at}
        savepoint = db.session.begin_nested()
        try:
            status, result = _HANDLERS[operation.type](recorder, envelope)
            savepoint.commit()
        except (ValidationError, DomainError, Held) as error:
            savepoint.rollback()
            status = "rejected"
            result = {"errors": getattr(error, "messages", None) or {"_schema": [str(error)]}}
        operation.status, operation.result, operation.waiting_for_learner_id = status, result, None
        results.append({"op_id": str(operation.op_id), "status": status, **result})
    db.session.flush()
    return results

