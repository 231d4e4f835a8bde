"""Directory endpoints: the ranked search, and the Open Referral UK (HSDS 3.0) export. All public."""

from __future__ import annotations

import math

from flask import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import func, select

from skills_hub.directory import hsds, services
from skills_hub.directory.models import Service
from skills_hub.directory.schemas import HsdsQuery, ServiceMatchOut, ServiceQuery
from skills_hub.endpoints import api_endpoint, page_of
from skills_hub.extensions import db

bp = Blueprint("directory_api", __name__, url_prefix="/api/v1")


class HsdsPageOut(Schema):
    """HSDS's paging envelope; each item of `contents` is an Open Referral UK `service_list` record."""

    total_items = fields.Integer()
    total_pages = fields.Integer()
    page_number = fields.Integer()
    size = fields.Integer()
    first_page = fields.Boolean()
    last_page = fields.Boolean()
    empty = fields.Boolean()
    contents = fields.List(fields.Raw(), metadata={"items": {"type": "object", "description": "Open Referral UK "
                                                                                            "service_list item"}})


def search_from(query: dict) -> services.Search:
    return services.Search(near=query["near"], skill=query["skill"], language=query["language"],
                           free=query["free"], mode=query["mode"], day=query["day"], access=tuple(query["access"]))


@api_endpoint(bp, "/services", summary="Find local services, ranked by a documented score: distance 40, skill 20, "
              "language 15, each access need 5, free 10, capacity 10. Every filter given must match; an invalid "
              "or unknown postcode is 422.", query=ServiceQuery(), response=page_of(ServiceMatchOut)(),
              errors=(422,))
def search_services(query: dict):
    matches = services.find(search_from(query))
    start = (query["page"] - 1) * query["per_page"]
    return {"items": matches[start:start + query["per_page"]], "page": query["page"], "per_page": query["per_page"],
            "total": len(matches)}


@api_endpoint(bp, "/hsds/services", summary="Every service as Open Referral UK (HSDS 3.0 UK profile) "
              "service_list items, in HSDS's paging envelope.", query=HsdsQuery(), response=HsdsPageOut(),
              errors=(422,))
def hsds_services(query: dict):
    size, page = query["per_page"], query["page"]
    total = db.session.scalar(select(func.count()).select_from(Service))
    rows = db.session.scalars(select(Service).order_by(Service.name, Service.id).limit(size)
                              .offset((page - 1) * size)).all()
    pages = max(1, math.ceil(total / size))
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": size,
            "first_page": page == 1, "last_page": page >= pages, "empty": not rows,
            "contents": [hsds.service_list_item(service) for service in rows]}


@api_endpoint(bp, "/hsds/services/<service_id>", summary="One service as an Open Referral UK (HSDS 3.0 UK "
              "profile) service, with locations, schedules, languages, costs and taxonomy terms.", errors=(404,))
def hsds_service(service_id: str):
    return hsds.service_full(services.service_named(service_id))
