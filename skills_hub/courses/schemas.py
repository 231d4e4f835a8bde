"""Course schemas: the course.yaml file format (input), the catalogue query, and the API output."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.endpoints import InputSchema, PageQuery
from skills_hub.languages import PAGE_LANGUAGES
from skills_hub.validation import REQUIRED, SLUG, required_string

_LEVEL = validate.OneOf(list(LEVELS), error="Must be one of: " + ", ".join(LEVELS) + ".")
_AREA = validate.OneOf(list(EDS_AREAS), error="Must be one of: " + ", ".join(EDS_AREAS) + ".")
_WHOLE_MINUTES = validate.Range(min=1, max=600, error="Must be a whole number of minutes from 1 to 600.")


class ChoiceFileSchema(InputSchema):
    id = required_string(validate=SLUG)
    text = required_string()
    correct = fields.Boolean(load_default=False)
    feedback = required_string()


class QuestionFileSchema(InputSchema):
    id = required_string(validate=SLUG)
    text = required_string()
    choices = fields.List(fields.Nested(ChoiceFileSchema), required=True, error_messages=REQUIRED,
                          validate=validate.Length(min=2, max=5, error="Give from 2 to 5 choices."))

    @validates_schema
    def one_correct_choice(self, data, **kwargs):
        correct = [c for c in data["choices"] if c["correct"]]
        if len(correct) != 1:
            raise ValidationError(f"Mark exactly one choice `correct: true` (found {len(correct)}).", "choices")
        ids = [c["id"] for c in data["choices"]]
        if len(set(ids)) != len(ids):
            raise ValidationError("Each choice needs its own id.", "choices")


class KnowledgeCheckFileSchema(InputSchema):
    pass_mark = fields.Integer(required=True, error_messages=REQUIRED, strict=True,
                               validate=validate.Range(min=1, max=100, error="Must be a percentage from 1 to 100."))
    questions = fields.List(fields.Nested(QuestionFileSchema), required=True, error_messages=REQUIRED,
                            validate=validate.Length(min=1, error="Add at least one question."))

    @validates_schema
    def unique_question_ids(self, data, **kwargs):
        ids = [q["id"] for q in data["questions"]]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(f"Question ids must be unique: {', '.join(duplicates)} used twice.", "questions")


class LessonEntryFileSchema(InputSchema):
    file = required_string(validate=validate.Regexp(
        r"^lessons/\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.md$",
        error="Name lesson files lessons/NN-slug.md, like lessons/03-attachments.md.",
    ))
    title = required_string(validate=validate.Length(min=1, max=200))
    minutes = fields.Integer(required=True, error_messages=REQUIRED, strict=True, validate=_WHOLE_MINUTES)


class CourseFileSchema(InputSchema):
    """What `content/courses/<slug>/course.yaml` holds."""

    slug = required_string(validate=SLUG)
    title = required_string(validate=validate.Length(min=1, max=200))
    summary = required_string()
    level = fields.String(required=True, error_messages=REQUIRED, validate=_LEVEL)
    eds_areas = fields.List(fields.String(validate=_AREA), required=True, error_messages=REQUIRED,
                            validate=validate.Length(min=1, error="Name at least one EDS area."))
    minutes = fields.Integer(required=True, error_messages=REQUIRED, strict=True, validate=_WHOLE_MINUTES)
    version = fields.Integer(required=True, error_messages=REQUIRED, strict=True,
                             validate=validate.Range(min=1, error="Must be a whole number, 1 or more."))
    published = fields.Boolean(load_default=True)
    outcomes = fields.List(fields.String(validate=validate.Regexp(
        r"^I can ", error='Start each outcome with "I can".')), required=True, error_messages=REQUIRED,
        validate=validate.Length(min=1, error='Add at least one "I can ..." outcome.'))
    lessons = fields.List(fields.Nested(LessonEntryFileSchema), required=True, error_messages=REQUIRED,
                          validate=validate.Length(min=1, error="Add at least one lesson."))
    check = fields.Nested(KnowledgeCheckFileSchema, required=True, error_messages=REQUIRED)


_PAGE_LANGUAGE = validate.OneOf(list(PAGE_LANGUAGES), error="Must be one of: " + ", ".join(PAGE_LANGUAGES) + ".")


class CatalogueQuery(PageQuery):
    area = fields.String(validate=_AREA)
    level = fields.String(validate=_LEVEL)
    available_in = fields.String(validate=_PAGE_LANGUAGE, metadata={
        "description": "Only courses with a current translation into this language (every course is in English)."})


class InLanguageQuery(InputSchema):
    language = fields.String(load_default="en", validate=_PAGE_LANGUAGE, metadata={
        "description": "The language to answer in, where the course has a current translation; English otherwise."})


class CourseListQuery(CatalogueQuery, InLanguageQuery):
    pass


class LanguageOut(Schema):
    code = fields.String()
    status = fields.String(metadata={"description": "current or outdated"})


class CourseSummaryOut(Schema):
    slug = fields.String()
    title = fields.String()
    summary = fields.String()
    eds_areas = fields.List(fields.String())
    level = fields.String()
    lesson_count = fields.Integer()
    minutes = fields.Integer()
    version = fields.Integer()
    language = fields.String(metadata={"description": "The language these texts are in."})
    languages = fields.List(fields.Nested(LanguageOut), metadata={
        "description": "English and each translation, current or outdated (an outdated one is not served)."})


class LessonOut(Schema):
    slug = fields.String()
    title = fields.String()
    position = fields.Integer()
    minutes = fields.Integer()


class ChoiceOut(Schema):
    id = fields.String()
    text = fields.String()


class QuestionOut(Schema):
    id = fields.String()
    text = fields.String()
    choices = fields.List(fields.Nested(ChoiceOut))


class KnowledgeCheckOut(Schema):
    """The check as learners see it: never the answers or the feedback."""

    pass_mark = fields.Integer()
    questions = fields.List(fields.Nested(QuestionOut))


class CourseOut(CourseSummaryOut):
    outcomes = fields.List(fields.String())
    lessons = fields.List(fields.Nested(LessonOut), attribute="current_lessons")
    knowledge_check = fields.Nested(KnowledgeCheckOut)
