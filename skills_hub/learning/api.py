"""Learning endpoints of the JSON API: enrolments, progress and knowledge checks."""

from __future__ import annotations

import uuid

from flask import Blueprint
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from skills_hub.accounts import policy
from skills_hub.accounts.api import signed_in
from skills_hub.accounts.models import Role, User
from skills_hub.accounts.permissions import VIEW_LEARNER
from skills_hub.courses import services as courses
from skills_hub.endpoints import api_endpoint, page_of
from skills_hub.errors import ValidationFailed
from skills_hub.extensions import db
from skills_hub.learning import services
from skills_hub.learning.permissions import RECORD_LEARNING
from skills_hub.learning.schemas import (
    CheckOut,
    CheckSubmit,
    EnrolmentCreate,
    EnrolmentOut,
    EnrolmentQuery,
    ProgressCreate,
    ProgressOut,
)

bp = Blueprint("learning_api", __name__, url_prefix="/api/v1")


def learner_for_write(actor: User, learner_id: uuid.UUID | None) -> User:
    """Whose learning a write is about: yourself as a learner, or a learner of your branch as staff."""
    if learner_id is None:
        if actor.role != Role.LEARNER:
            message = "Send learner_id: the learner this is for."
            raise ValidationFailed(message, errors={"learner_id": [message]})
        return actor
    return policy.learner_for(actor, learner_id, RECORD_LEARNING)


@api_endpoint(bp, "/enrolments", "POST", summary="Enrol (yourself, or a learner of your branch); 200 with the "
              "existing enrolment on a repeat.", body=EnrolmentCreate(), response=EnrolmentOut(), status=201,
              replay_status=200, errors=(401, 404, 422))
def create_enrolment(body: dict):
    actor = signed_in()
    learner = learner_for_write(actor, body["learner_id"])
    course = services.course_named(body["course"])
    _, created = services.enrol(learner, course, by=actor)
    db.session.commit()
    return services.summary_for(learner.id, course), 201 if created else 200


def _page(learner: User, query: dict) -> dict:
    items = services.summaries([learner.id])[learner.id]
    start = (query["page"] - 1) * query["per_page"]
    return {"items": items[start:start + query["per_page"]], "page": query["page"], "per_page": query["per_page"],
            "total": len(items)}


@api_endpoint(bp, "/me/enrolments", summary="Your enrolments with progress.", query=EnrolmentQuery(),
              response=page_of(EnrolmentOut)(), errors=(401,))
def my_enrolments(query: dict):
    return _page(signed_in(), query)


@api_endpoint(bp, "/learners/<learner_id>/enrolments", summary="A learner's enrolments with progress.",
              query=EnrolmentQuery(), response=page_of(EnrolmentOut)(), errors=(401, 404))
def learner_enrolments(learner_id: str, query: dict):
    learner = policy.learner_for(signed_in(), learner_id, VIEW_LEARNER)
    return _page(learner, query)


@api_endpoint(bp, "/progress", "POST", summary="Record a lesson as done; a replayed event_id answers 200 and "
              "changes nothing.", body=ProgressCreate(), response=ProgressOut(), status=201, replay_status=200,
              errors=(401, 404, 422))
def record_progress(body: dict):
    actor = signed_in()
    learner = learner_for_write(actor, body["learner_id"])
    for attempt in range(2):
        recorded = services.record_progress(actor, learner.id, body)
        answer = recorded.as_dict()
        try:
            db.session.commit()
            break
        except IntegrityError:  # the same event_id committed by another request just now: answer as a replay
            db.session.rollback()
            if attempt:
                raise
    return answer, 200 if recorded.replayed else 201


@api_endpoint(bp, "/courses/<slug>/check", "POST", summary="Score a knowledge check on the server. A signed-in "
              "learner's attempt is kept.", body=CheckSubmit(), response=CheckOut(), errors=(404, 422))
def take_check(slug: str, body: dict):
    course = courses.get_course(slug)
    services.check_answers(course, body["answers"])
    learner = current_user if current_user.is_authenticated else None
    result = services.take_check(learner, course, body["answers"])
    db.session.commit()
    return result
