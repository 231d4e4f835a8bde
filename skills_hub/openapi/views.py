"""The OpenAPI 3 document, generated from the marshmallow schemas of every JSON endpoint."""

from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app, jsonify
from flask_limiter.util import get_qualified_name
from marshmallow import Schema, fields

from skills_hub.endpoints import OPERATIONS, Operation
from skills_hub.extensions import limiter

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

_ANSWER_DESCRIPTIONS = {
    200: "A repeat of an earlier request: the original result, and nothing new made",
    202: "Being prepared: ask again shortly",
}
_ERROR_DESCRIPTIONS = {
    400: "The body or the address cannot be read: not well-formed JSON, nested too deeply, a number too long, or a "
         "hidden character in the address.",
    401: "Not signed in.",
    403: "Signed in but not allowed.",
    404: "Unknown, or not yours.",
    409: "Conflict: a duplicate, a stale version or an illegal transition.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    422: "Validation failed; `errors` names each field (and each unknown parameter).",
    429: "Too many requests; Retry-After says when to try again.",
    503: "The database cannot be reached just now; Retry-After says when to try again.",
}


class ProblemSchema(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


@cache
def build_spec(server_url: str, rules: tuple[tuple[str, str], ...]) -> dict:
    spec = APISpec(
        title="Skills Hub API",
        version="1.0.0",
        openapi_version="3.1.0",
        info={"description": "The public interface of Skills Hub. Errors are RFC 9457 problem details."},
        servers=[{"url": server_url}],
        plugins=[MarshmallowPlugin()],
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    spec.components.security_scheme("bearerToken", {
        "type": "http", "scheme": "bearer",
        "description": "A token from POST /api/v1/tokens, or one made by staff for an offline device."})
    for rule, endpoint in rules:
        operation = OPERATIONS[endpoint]
        responses: dict = {}
        for code, media_type in operation.statuses(rule, _rate_limited(operation)).items():
            responses[str(code)] = _response(operation, code, media_type)
        details: dict = {"summary": operation.summary, "tags": [operation.tag], "responses": responses}
        if 401 in operation.errors:
            details["security"] = [{"bearerToken": []}]
        if operation.query is not None:
            details["parameters"] = [{"in": "query", "schema": operation.query}]
        if operation.body is not None:
            details["requestBody"] = {"content": {"application/json": {"schema": operation.body}}, "required": True}
        path_params = re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule)
        if path_params:
            details.setdefault("parameters", []).extend(
                {"in": "path", "name": name, "required": True, "schema": {"type": "string"}} for name in path_params
            )
        spec.path(path=_openapi_path(rule), operations={operation.method: details})
    return spec.to_dict()


def _response(operation: Operation, code: int, media_type: str) -> dict:
    if code == 204:
        return {"description": "Done; no content"}
    if media_type == "application/problem+json":
        return {"description": _ERROR_DESCRIPTIONS.get(code, "Error"), "content": {media_type: {"schema": "Problem"}}}
    if media_type == "application/json":
        schema = operation.response if code in {operation.status, operation.replay_status} else None
        description = "OK" if code == operation.status else _ANSWER_DESCRIPTIONS.get(code, "OK")
        return {"description": description, "content": {media_type: {"schema": schema or {"type": "object"}}}}
    file = {"type": "string"} if media_type.startswith("text/") else {"type": "string", "format": "binary"}
    return {"description": "OK", "content": {media_type: {"schema": file}}}


def _rate_limited(operation: Operation) -> bool:
    """The view carries a Flask-Limiter limit: it can answer 429."""
    return operation.view is not None and bool(limiter.limit_manager.decorated_limits(get_qualified_name(
        operation.view)))


@bp.get("/openapi.json")
def openapi_document():
    rules = tuple(
        sorted((rule.rule, rule.endpoint) for rule in current_app.url_map.iter_rules() if rule.endpoint in OPERATIONS)
    )
    return jsonify(build_spec(current_app.config["BASE_URL"], rules))
