"""JSON endpoints: load input with a schema, call the view, dump with a schema, and describe it in OpenAPI."""

from __future__ import annotations

import codecs
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Request, Response, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import Headers
from werkzeug.formparser import FormDataParser, MultiPartParser

from skills_hub.errors import MalformedInput, UnsupportedMediaType, ValidationFailed
from skills_hub.validation import (
    JSONUnreadable,
    field_label,
    parse_json,
    taken_out_problem,
    text_problem,
    text_problems,
    without_hidden_characters,
)


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


# Form bodies ------------------------------------------------------------------------------------------------------

# A form's bytes that are not UTF-8 (Ann%ED%B3%BF, %FF%FE) are read as lone surrogates ("surrogateescape"), which
# text_problem calls broken characters, so they are refused like any other. Werkzeug would keep them as the
# literal text "%ED%B3%BF" (a URL-encoded body) or turn them into U+FFFD (a multipart text part): stored as typed.
_BROKEN_KEPT = "skills_hub_utf_8_broken_kept"


def _find_codec(name: str) -> codecs.CodecInfo | None:
    if name != _BROKEN_KEPT:
        return None

    def decode(data: bytes, errors: str = "strict") -> tuple[str, int]:  # whatever `errors` Werkzeug asks for
        return codecs.utf_8_decode(data, "surrogateescape", True)

    return codecs.CodecInfo(codecs.utf_8_encode, decode, name=_BROKEN_KEPT)


codecs.register(_find_codec)


class _MultiPartParser(MultiPartParser):
    def get_part_charset(self, headers: Headers) -> str:
        charset = super().get_part_charset(headers)
        return _BROKEN_KEPT if charset == "utf-8" else charset


class _FormDataParser(FormDataParser):
    def _parse_multipart(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                         options: dict[str, str]) -> Any:
        parser = _MultiPartParser(stream_factory=self.stream_factory, max_form_memory_size=self.max_form_memory_size,
                                  max_form_parts=self.max_form_parts, cls=self.cls)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files

    def _parse_urlencoded(self, stream: IO[bytes], mimetype: str, content_length: int | None,
                          options: dict[str, str]) -> Any:
        items = parse_qsl(stream.read().decode("utf-8", "surrogateescape"), keep_blank_values=True,
                          errors="surrogateescape")
        return stream, self.cls(items), self.cls()


class FormRequest(Request):
    """A request whose form is read with what no text may hold taken out of each value, before anything reads it
    (the CSRF check, the rate limiter's key, a view). `form_problems` says which boxes held what, by the box's
    name, for load_form to show the form again with an error by each and nothing else lost; `form_refusals` says
    it as refuse_hidden_characters_in_request does to an API call or a page that reads its form another way."""

    form_data_parser_class = _FormDataParser
    form_problems: dict[str, str]
    form_refusals: dict[str, str]

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.form_problems, self.form_refusals = {}, {}
        cleaned = []
        for key, value in self.form.items(multi=True):
            if not text_problem(key) and (refusal := text_problem(value)) and (problem := taken_out_problem(value)):
                self.form_problems.setdefault(key, problem)
                self.form_refusals.setdefault(key, refusal)
                value = without_hidden_characters(value)
            cleaned.append((key, value))
        for key, upload in self.files.items(multi=True):
            if not text_problem(key) and upload.filename and (refusal := text_problem(upload.filename)):
                refusal = "The file's name " + refusal[len("This "):]
                self.form_problems.setdefault(key, refusal.replace("Type it again without it.",
                                                                   "Rename the file without it and choose it again."))
                self.form_refusals.setdefault(key, refusal)
                upload.filename = without_hidden_characters(upload.filename)
        if self.form_problems:
            self.__dict__["form"] = self.parameter_storage_class(cleaned)
            self.__dict__.pop("values", None)


def refuse_hidden_characters_in_request() -> None:
    """Before every request: no NUL or other control character in the address, the query string or a form
    field (pages read some of these without a schema; PostgreSQL cannot store or even compare NUL). A page whose
    view reads its form with load_form shows the form again with the error by the box instead (FormRequest took
    the characters out); an API call, or a page that reads its form another way, is refused here."""
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
    refusals: dict[str, str] = getattr(request, "form_refusals", {}) if writes else {}
    if refusals and not problems and not request.path.startswith("/api/"):
        if _reads_its_form_with_load_form():
            return
        key, message = next(iter(refusals.items()))
        raise ValidationFailed(f"{field_label(None, key)}: {message[0].lower()}{message[1:]} Go back to the form to "
                               "change it.", errors={key: [message] for key, message in refusals.items()})
    problems.update({key: [message] for key, message in refusals.items()})
    if problems:
        raise ValidationFailed(f"{', '.join(problems)}: {next(iter(problems.values()))[0]}", errors=problems)


def _reads_its_form_with_load_form() -> bool:
    """The view of this request (not an API's) reads its form with validation.load_form, which names each box
    that held a hidden character and shows the form again."""
    if request.path.startswith("/api/") or request.endpoint is None:
        return False
    return _calls_load_form(current_app.view_functions.get(request.endpoint))


@functools.cache
def _calls_load_form(view: Callable[..., Any] | None) -> bool:
    while view is not None:  # the view itself, under its decorators (functools.wraps sets __wrapped__)
        code = getattr(view, "__code__", None)
        if code is not None and "load_form" in code.co_names:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


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
    app.request_class = FormRequest
    app.before_request(refuse_hidden_characters_in_request)
    app.after_request(close_unsent_body)
