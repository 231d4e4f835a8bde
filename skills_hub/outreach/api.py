"""The sync API for offline devices, and the suspected-duplicates queue."""

from __future__ import annotations

import io

from flask import Blueprint, jsonify, request
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from skills_hub import codes
from skills_hub.accounts import policy
from skills_hub.accounts.api import signed_in
from skills_hub.accounts.models import User
from skills_hub.accounts.permissions import REGISTER_LEARNER
from skills_hub.endpoints import OBJECT_LIST, InputSchema, PageQuery, api_endpoint, page_of
from skills_hub.extensions import db, retry_when_locked
from skills_hub.outreach import cards, duplicates, sync
from skills_hub.validation import REQUIRED

bp = Blueprint("outreach_api", __name__, url_prefix="/api/v1")


class SyncRequest(InputSchema):
    device_id = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=100))
    operations = fields.List(fields.Raw(), required=True, error_messages=REQUIRED, metadata={
        "description": "Each {op_id, type, recorded_at, payload}; checked one by one, so a bad one is rejected "
                       "alone."})


class SyncResult(Schema):
    op_id = fields.Raw()
    status = fields.String(metadata={"description": "applied | replayed | duplicate_suspected | held | rejected"})
    errors = fields.Raw()
    ref = fields.String()
    learner_number = fields.String()
    pin_pending = fields.Boolean(metadata={
        "description": "A created resident with no email and no PIN yet: make it with POST /api/v1/learners/pins"})
    flags = fields.List(fields.String())


class SyncResponse(Schema):
    results = fields.List(fields.Nested(SyncResult))


TOO_LARGE = f"Send at most {sync.MAX_OPERATIONS} operations or 1 MB at a time."


@bp.before_request
def _limit_what_sync_reads():
    """The sync body is read only up to 1 MB, however it is sent: with a Content-Length, or chunked without one.
    Past the limit the answer is 413 and nothing of it is applied."""
    if request.endpoint != "outreach_api.sync_operations":
        return
    if (request.content_length or 0) > sync.MAX_BYTES:
        raise RequestEntityTooLarge(TOO_LARGE)
    parts, size = [], 0
    while size <= sync.MAX_BYTES:  # one byte past the limit is enough to know
        part = request.stream.read(sync.MAX_BYTES + 1 - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > sync.MAX_BYTES:
        raise RequestEntityTooLarge(TOO_LARGE)
    request.stream = io.BytesIO(b"".join(parts))  # what the endpoint reads: the body, all of it, under 1 MB


@api_endpoint(bp, "/sync", "POST", summary="Apply operations recorded offline, in order, each on its own; one "
              f"result each. At most {sync.MAX_OPERATIONS} operations or 1 MB (413 beyond, however it is sent). "
              "No PIN is made here: a created resident without email says pin_pending.", body=SyncRequest(),
              response=SyncResponse(), errors=(401, 403, 413, 422))
def sync_operations(body: dict):
    actor = signed_in()
    policy.require(actor, REGISTER_LEARNER)
    if len(body["operations"]) > sync.MAX_OPERATIONS:
        raise RequestEntityTooLarge(TOO_LARGE)
    operations, results = body["operations"], []
    for start in range(0, len(operations), sync.COMMIT_EVERY):  # committed every COMMIT_EVERY operations
        chunk = operations[start:start + sync.COMMIT_EVERY]
        results += retry_when_locked(lambda chunk=chunk: _apply_and_commit(actor, body["device_id"], chunk))
    return {"results": results}


def _apply_and_commit(actor, device_id: str, chunk: list) -> list[dict]:
    """One part of a batch, committed together. On SQLite, another process writing for longer than the busy
    timeout makes it roll back and run again (retry_when_locked): the records wait, never rejected for it."""
    results = [sync.apply_one(actor, device_id, raw) for raw in chunk]
    db.session.commit()
    return results


class PinsIn(InputSchema):
    learner_ids = fields.List(fields.UUID(), required=True, error_messages=REQUIRED, validate=validate.Length(
        min=1, max=cards.MAX_PINS, error=f"Send between 1 and {cards.MAX_PINS} learner_ids at a time."), metadata={
        "description": "The residents to make PINs for: staff of their branches, or admins."})


class PinOut(Schema):
    learner_id = fields.UUID()
    learner_number = fields.Function(lambda made: codes.grouped(made.learner_number) if made.learner_number
                                     else None, metadata={"type": "string"})
    pin = fields.String()


class PinsOut(Schema):
    pins = fields.List(fields.Nested(PinOut))


@api_endpoint(bp, "/learners/pins", "POST", summary=f"Make PINs for login cards (at most {cards.MAX_PINS}): each "
              "resident's first PIN, or a new one (the old one stops working; audited as a reset). Shown once. "
              "404 for a resident you may not see (then none is made).", body=PinsIn(), response=PinsOut(),
              errors=(401, 403, 404, 409, 422))
def make_pins(body: dict):
    made = cards.make_pins(signed_in(), body["learner_ids"])
    db.session.commit()
    response = jsonify(PinsOut().dump({"pins": made}))
    response.headers["Cache-Control"] = "no-store"  # one-time PINs
    return response


class _Person(Schema):
    id = fields.UUID()
    learner_number = fields.Function(lambda u: codes.grouped(u.learner_number) if u.learner_number else None,
                                     metadata={"type": "string"})
    given_name = fields.String()
    family_name = fields.String()
    display_name = fields.String()
    date_of_birth = fields.Date(allow_none=True)
    postcode = fields.String(allow_none=True)


class DuplicateOut(Schema):
    id = fields.UUID()
    source = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    learner = fields.Function(lambda d: _Person().dump(db.session.get(User, d.learner_id)), metadata={"type": "object"})
    candidates = fields.Function(lambda d: _Person(many=True).dump(duplicates.candidates_of(d)), metadata=OBJECT_LIST)
    held_operations = fields.Function(lambda d: len(sync.held_operations(d.learner_id)),
                                      metadata={"type": "integer"})


class ResolveIn(InputSchema):
    action = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(
        ("merge", "keep_both"), error="Choose merge or keep_both."))
    keep = fields.UUID(load_default=None, metadata={"description": "For merge: the existing record to keep"})


class ResolveOut(Schema):
    id = fields.Function(lambda r: str(r.duplicate.id), metadata={"type": "string"})
    status = fields.Function(lambda r: r.duplicate.status, metadata={"type": "string"})
    kept_learner_id = fields.Function(lambda r: str(r.kept.id), metadata={"type": "string"})
    learner_number = fields.Function(lambda r: codes.grouped(r.kept.learner_number) if r.kept.learner_number
                                     else None, metadata={"type": "string"})
    pin = fields.Function(lambda r: r.pin,
                          metadata={"type": "string", "description": "Once, when both are kept and the new "
                                                                    "resident has no email"})
    applied = fields.Raw(metadata={"description": "The held operations' results, now applied"})


@api_endpoint(bp, "/duplicates", summary="Suspected duplicates among your branches' residents, waiting for review.",
              query=PageQuery(), response=page_of(DuplicateOut)(), errors=(401, 403))
def list_duplicates(query: dict):
    actor = signed_in()
    policy.require(actor, REGISTER_LEARNER)
    waiting = duplicates.open_for(actor)
    total = db.session.scalar(select(func.count()).select_from(waiting.subquery()))
    items = db.session.scalars(waiting.limit(query["per_page"]).offset((query["page"] - 1) * query["per_page"]))
    return {"items": list(items), "page": query["page"], "per_page": query["per_page"], "total": total}


@api_endpoint(bp, "/duplicates/<duplicate_id>/resolve", "POST", summary="Merge the new record into an existing one "
              "(everything moves; nothing is lost) or keep both; held operations then run.", body=ResolveIn(),
              response=ResolveOut(), errors=(401, 403, 404, 409, 422))
def resolve_duplicate(duplicate_id: str, body: dict):
    actor = signed_in()
    duplicate = duplicates.duplicate_for(actor, duplicate_id)
    resolution = duplicates.resolve(actor, duplicate, body["action"], body["keep"])
    db.session.commit()
    return resolution
