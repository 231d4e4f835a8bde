"""Course endpoints of the JSON API."""

from __future__ import annotations

from flask import Blueprint

from skills_hub.courses import services
from skills_hub.courses.schemas import CourseListQuery, CourseOut, CourseSummaryOut, InLanguageQuery
from skills_hub.endpoints import api_endpoint, page_of

bp = Blueprint("courses_api", __name__, url_prefix="/api/v1")


@api_endpoint(bp, "/courses", summary="Published courses, by title.", query=CourseListQuery(),
              response=page_of(CourseSummaryOut)())
def list_courses(query: dict):
    language = query.pop("language")
    items, total = services.list_courses(**query)
    return {"items": services.for_readers(items, language), "page": query["page"], "per_page": query["per_page"],
            "total": total}


@api_endpoint(bp, "/courses/<slug>", summary="A course with its lessons and knowledge check (never the answers).",
              query=InLanguageQuery(), response=CourseOut(), errors=(404,))
def get_course(slug: str, query: dict):
    return services.for_reader(services.get_course(slug), query["language"])
