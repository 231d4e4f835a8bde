"""JSON endpoints: load input with a schema, call the view, dump with a schema, and describe it in OpenAPI."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from skills_hub.errors import MalformedInput, UnsupportedMediaType, ValidationFailed
from skills_hub.validation import JSONUnreadable, parse_json, text_problem, text_problems


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says of one endpoint."""

    endpoint: str
    method: str
    summary: str
    tag: str
    query: Schema | None
    body: Schema | None
    response: Schema | None
    status: int
    errors: tuple[int, ...]
    replay_status: int | None = None  # a create's answer to a repeat: 200 with the original
    media_type: str = "application/json"  # of the success answer
    also: tuple[tuple[int, str], ...] = ()  # other answers that are not problems: (202, "application/json")
    view: Callable[..., Any] | None = None

    def statuses(self, rule: str, rate_limited: bool = False) -> dict[int, str]:
        """Every status the operation can answer, with its media type: the success, a replay, the declared errors,
        and those that follow from its shape: 400 (an address or body that cannot be read), 422 (bad or unknown
        parameters), 404 (a path naming nothing), 400/413/415/422 with a body, 401/403 when it needs a token
        (a session cookie without CSRF is 403), 429 when it is rate limited, 503 when the database is away."""
        problem = "application/problem+json"
        answers: dict[int, str] = {code: problem for code in self.errors}
        answers.update({400: problem, 422: problem, 503: problem})
        if "<" in rule:
            answers[404] = problem
        if self.body is not None:
            answers.update({413: problem, 415: problem})
        if 401 in self.errors:
            answers[403] = problem
        if rate_limited:
            answers[429] = problem
        answers.update(dict(self.also))
        if self.replay_status:
            answers[self.replay_status] = self.media_type
        answers[self.status] = self.media_type
        return dict(sorted(answers.items()))


OPERATIONS: dict[str, Operation] = {}
MAX_PAGE = 100_000


def page_number(value: Any) -> int:
    """A page number from a page's query string: 1 for anything odd, never more than MAX_PAGE."""
    try:
        return min(max(1, int(value)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1
# What the OpenAPI document says of a `fields.Function` that gives a list.
STRING_LIST = {"type": "array", "items": {"type": "string"}}
OBJECT_LIST = {"type": "array", "items": {"type": "object"}}


class InputSchema(Schema):
    """Base for every input schema: unknown fields are an error, never dropped; no text anywhere in the input
    (JSON, query string or form) may hold NUL, a broken character, a control character or a bidi control."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _refuse_hidden_characters(self, data, **kwargs):
        # A raw value (each operation of a sync batch) is loaded by its own schema later, which checks it alone:
        # one bad operation must not refuse the batch.
        raw = {field.data_key or name for name, field in self.fields.items() if _is_raw(field)}
        checked = {key: value for key, value in data.items() if key not in raw} if isinstance(data, dict) else data
        if problems := text_problems(checked):
            raise ValidationError(problems.get("_text", problems))
        return data


def _is_raw(field: fields.Field) -> bool:
    return type(field) is fields.Raw or (isinstance(field, fields.List) and type(field.inner) is fields.Raw)


class FormSchema(InputSchema):
    """A page's form: an empty box counts as not filled in."""

    csrf_token = fields.String()

    @pre_load
    def _drop_empty_boxes(self, data, **kwargs):
        return {key: value for key, value in data.items() if value != ""}


class PageQuery(InputSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE, error="Must be between 1 and "
                                                                                      f"{MAX_PAGE}."))
    per_page = fields.Integer(
        load_default=50, validate=validate.Range(min=1, max=200, error="Must be between 1 and 200.")
    )


@functools.cache
def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list envelope `{"items", "page", "per_page", "total"}` around one item schema."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
    )


def load_or_422(schema: Schema, data: Any, what: str) -> Any:
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ValidationFailed(f"The {what} has problems: see errors.", errors=error.normalized_messages()) from error


def _query_args(schema: Schema) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, values in request.args.lists():
        field = schema.fields.get(key)
        args[key] = values if isinstance(field, fields.List) or len(values) > 1 else values[0]
    return args


def json_body() -> Any:
    """The request's JSON body, read safely: 415 when it is not JSON, 400 when it cannot be read."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON with the header Content-Type: application/json.")
    try:
        return parse_json(request.get_data(cache=True))
    except JSONUnreadable as error:
        raise MalformedInput(str(error)) from None


class SafeJSONProvider(DefaultJSONProvider):
    """Every JSON body the app reads (`request.get_json()` anywhere) is read with the depth and number limits."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


def refuse_hidden_characters_in_request() -> None:
    """Before every request: no NUL or other control character in the address, the query string or a form
    field (pages read some of these without a schema; PostgreSQL cannot store or even compare NUL)."""
    if text_problem(request.path):
        raise MalformedInput("The address has a hidden character in it. Check the address and try again.")
    problems: dict[str, list[str]] = {}
    writes = request.method in {"POST", "PUT", "PATCH", "DELETE"}
    for where in (request.args, request.form) if writes else (request.args,):
        for key, values in where.lists():
            messages = [message for value in (key, *values) if (message := text_problem(value))]
            if messages:
                problems[_printable_name(key)] = messages[:1]
    for key, upload in request.files.items() if writes else ():
        if upload.filename and (message := text_problem(upload.filename)):
            problems[_printable_name(key)] = ["The file's name " + message[len("This "):]]
    if problems:
        raise ValidationFailed(f"{', '.join(problems)}: {next(iter(problems.values()))[0]}", errors=problems)


def _printable_name(key: str) -> str:
    return "".join(f"<U+{ord(character):04X}>" if text_problem(character) else character for character in key)


def _media_type_of(rule: str) -> str:
    """What an address that ends like a file answers: `/report.csv` is CSV; anything else JSON."""
    return {".csv": "text/csv", ".pdf": "application/pdf"}.get(rule[rule.rfind("."):], "application/json")


def api_endpoint(
    bp: Blueprint,
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    query: Schema | None = None,
    body: Schema | None = None,
    response: Schema | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    replay_status: int | None = None,
    media_type: str | None = None,
    also: tuple[tuple[int, str], ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a JSON view whose input is loaded (422 on bad input) and whose result is dumped."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(**kwargs: Any) -> Response | tuple[Response, int]:
            if query is not None:
                kwargs["query"] = load_or_422(query, _query_args(query), "query string")
            elif request.args:
                raise ValidationFailed(
                    "This address takes no query parameters.",
                    errors={key: ["Unknown field."] for key in request.args},
                )
            if body is not None:
                kwargs["body"] = load_or_422(body, json_body(), "request body")
            result = view(**kwargs)
            if isinstance(result, Response):
                return result
            code = status
            if isinstance(result, tuple):
                result, code = result
            return jsonify(response.dump(result) if response is not None else result), code

        bp.add_url_rule(rule, view.__name__, wrapper, methods=[method])
        endpoint = f"{bp.name}.{view.__name__}"
        OPERATIONS[endpoint] = Operation(
            endpoint, method.lower(), summary, bp.name, query, body, response, status, errors, replay_status,
            media_type or _media_type_of(rule), also, view,
        )
        return wrapper

    return decorate


def close_unsent_body(response: Response) -> Response:
    """A 304 or 412 (and any answer to HEAD) sends no body, but Werkzeug keeps the file a static or download
    response had opened until garbage collection: close it now, so repeat visits leak no file handles."""
    if response.direct_passthrough and (response.status_code in (304, 412) or request.method == "HEAD"):
        response.close()
        response.response = []
    return response


def init_app(app: Flask) -> None:
    """Read every JSON body safely, refuse hidden characters in addresses, query strings and forms, and close
    the files of answers that send no body."""
    app.json = SafeJSONProvider(app)
    app.before_request(refuse_hidden_characters_in_request)
    app.after_request(close_unsent_body)
