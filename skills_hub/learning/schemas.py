"""Input and output shapes for learning: enrolments, progress, knowledge checks, the skills check."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from skills_hub.endpoints import InputSchema, PageQuery
from skills_hub.validation import REQUIRED, SLUG


class EnrolmentCreate(InputSchema):
    course = fields.String(required=True, error_messages=REQUIRED, validate=SLUG)
    learner_id = fields.UUID(load_default=None)


class EnrolmentOut(Schema):
    course = fields.Function(lambda s: s.course.slug)
    course_title = fields.Function(lambda s: s.course.title)
    lessons_done = fields.Integer()
    lessons_total = fields.Integer()
    percent = fields.Integer(metadata={"description": "How far through the course: lessons done plus the passed "
                                                      "quiz, out of the lessons plus one (the quiz); 100 when "
                                                      "completed."})
    check_passed = fields.Boolean()
    completed_at = fields.Function(lambda s: s.enrolment.completed_at.isoformat() if s.enrolment.completed_at
                                   else None)
    certificate_code = fields.Function(lambda s: _grouped(s.certificate_code))
    next_lesson = fields.Function(lambda s: s.next_lesson.slug if s.next_lesson else None)
    left = fields.Boolean()


def _grouped(code: str | None) -> str | None:
    from skills_hub import codes

    return codes.grouped(code) if code else None


class EnrolmentQuery(PageQuery):
    pass


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not "yes", 1 or "true"."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ProgressCreate(InputSchema):
    event_id = fields.UUID(required=True, error_messages=REQUIRED)
    course = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=80))
    lesson = fields.String(required=True, error_messages=REQUIRED, validate=validate.Length(min=1, max=80))
    learner_id = fields.UUID(load_default=None)
    assisted = StrictBoolean(required=True, metadata={
        "description": "Whether a helper was there. Progress recorded by staff always counts as helped."},
        error_messages={**REQUIRED, "required": "Say whether a helper was there: true or false.",
                        "invalid": "Use true or false."})
    occurred_at = fields.AwareDateTime(load_default=None, error_messages={
        "invalid": "Use an ISO 8601 time with an offset, like 2026-11-28T10:15:00+00:00.",
        "invalid_awareness": "Add the time zone offset, like +00:00."})


class ProgressOut(Schema):
    event_id = fields.UUID()
    course = fields.String()
    lesson = fields.String()
    learner_id = fields.UUID()
    assisted = fields.Boolean()
    done_at = fields.AwareDateTime()
    occurred_at = fields.AwareDateTime()


class CheckSubmit(InputSchema):
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=80)),
                          values=fields.String(validate=validate.Length(max=80)), required=True,
                          error_messages=REQUIRED)


class QuestionResultOut(Schema):
    question_id = fields.String()
    correct = fields.Boolean()
    feedback = fields.String()


class CheckOut(Schema):
    score = fields.Integer()
    correct_count = fields.Integer()
    question_count = fields.Integer()
    passed = fields.Boolean()
    results = fields.List(fields.Nested(QuestionResultOut))
