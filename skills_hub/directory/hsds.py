"""Open Referral UK (HSDS 3.0 UK profile) in and out.

Import: each service record is loaded with a marshmallow schema that checks what the JSON Schema cannot (a
latitude in Great Britain, a UK postcode we can place, a language code, taxonomy terms we know); every problem is
reported with its path (`[3].service_at_locations[0].location.latitude`) and the valid records are imported.
HSDS fields Skills Hub does not use (funding, contacts, service areas…) are ignored, not refused: this is an
interchange format, and a full record is still a valid one.

Our taxonomies travel as HSDS attributes: `{"taxonomy_term": {"taxonomy": "skills-hub-eds-area", "term":
"being-safe-online", …}}`. The names are in `TAXONOMIES`; content/directory/README.md documents them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)
from sqlalchemy import select

from skills_hub import geo
from skills_hub.accounts.models import Organisation
from skills_hub.directory.models import (
    ACCESSIBILITY,
    CAPACITY,
    DAYS,
    DELIVERY_MODES,
    NEEDS,
    STATUSES,
    Location,
    Schedule,
    Service,
    ServiceLocation,
)
from skills_hub.eds import EDS_AREAS, LEVELS
from skills_hub.extensions import db, utcnow
from skills_hub.languages import language_name, two_letter_code
from skills_hub.validation import (
    REQUIRED,
    JSONUnreadable,
    Text,
    flatten_errors,
    parse_json,
    text_problems,
)

NAMESPACE = uuid.UUID("5b0e3c1a-8f4d-4e0b-9a51-3d2f7c6e1b90")  # for ids of things we keep as codes
TAXONOMIES: dict[str, dict[str, str]] = {
    "skills-hub-eds-area": EDS_AREAS,
    "skills-hub-level": LEVELS,
    "skills-hub-delivery": DELIVERY_MODES,
    "skills-hub-accessibility": ACCESSIBILITY,
    "skills-hub-capacity": CAPACITY,
    "skills-hub-referrals": {"accepts": "Takes referrals", "not_accepted": "Does not take referrals"},
    "skills-hub-response-days": {str(days): f"Replies within {days} working days" for days in range(1, 31)},
    "skills-hub-needs": NEEDS,
    "skills-hub-dataset": {"demo": "Demo data"},
}
TAXONOMY_NAMES = {
    "skills-hub-eds-area": "Essential Digital Skills area", "skills-hub-level": "Level",
    "skills-hub-delivery": "How it is taught", "skills-hub-accessibility": "Access",
    "skills-hub-capacity": "Places", "skills-hub-referrals": "Referrals",
    "skills-hub-response-days": "Reply time for referrals", "skills-hub-needs": "Needed to take a referral",
    "skills-hub-dataset": "Data set",
}
SINGLE_VALUED = ("skills-hub-capacity", "skills-hub-referrals", "skills-hub-response-days")
ICAL_DAYS = dict(zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), DAYS, strict=True))
GB_LATITUDE, GB_LONGITUDE = (49.8, 60.9), (-8.7, 1.8)


def stable_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


# Import ---------------------------------------------------------------------------------------------------------

class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _refuse_hidden_characters(self, data: Any, **_: Any) -> Any:
        if problems := text_problems(data):
            raise ValidationError(problems.get("_text", problems))
        return data


class _Address(_Lenient):
    address_1 = fields.String(load_default="")
    city = fields.String(load_default="")
    postal_code = fields.String(required=True, error_messages=REQUIRED)
    country = fields.String(load_default="GB")

    @validates("postal_code")
    def _known_postcode(self, value: str, **_: Any) -> None:
        try:
            geo.place(value)
        except geo.PostcodeProblem as problem:
            raise ValidationError(str(problem)) from None

    @validates("country")
    def _in_the_uk(self, value: str, **_: Any) -> None:
        if value.upper() not in {"GB", "UK"}:
            raise ValidationError(f"The country is {value}: Skills Hub lists services in the UK only (use GB).")


class _Accessibility(_Lenient):
    description = fields.String(load_default="")


class _Location(_Lenient):
    id = fields.UUID(required=True, error_messages=REQUIRED)
    name = Text(load_default="", allow_blank=True)
    latitude = fields.Float(required=True, error_messages={
        **REQUIRED, "required": "Give the latitude, so residents can see how far away it is."})
    longitude = fields.Float(required=True, error_messages=REQUIRED)
    addresses = fields.List(fields.Nested(_Address), required=True, error_messages=REQUIRED,
                            validate=validate.Length(min=1, error="Give the address, with its postcode."))
    accessibility = fields.List(fields.Nested(_Accessibility), load_default=list)

    @validates("latitude")
    def _latitude(self, value: float, **_: Any) -> None:
        if not GB_LATITUDE[0] <= value <= GB_LATITUDE[1]:
            raise ValidationError(f"Latitude {value} is not in Great Britain (it should be between "
                                  f"{GB_LATITUDE[0]} and {GB_LATITUDE[1]}).")

    @validates("longitude")
    def _longitude(self, value: float, **_: Any) -> None:
        if not GB_LONGITUDE[0] <= value <= GB_LONGITUDE[1]:
            raise ValidationError(f"Longitude {value} is not in Great Britain (it should be between "
                                  f"{GB_LONGITUDE[0]} and {GB_LONGITUDE[1]}).")


class _ServiceAtLocation(_Lenient):
    id = fields.UUID(required=True, error_messages=REQUIRED)
    location = fields.Nested(_Location, required=True, error_messages=REQUIRED)


class _Language(_Lenient):
    code = fields.String(load_default=None)
    name = fields.String(load_default=None)

    @validates_schema
    def _known(self, data: dict, **_: Any) -> None:
        if _language_code(data) is None:
            raise ValidationError("Give the language's ISO 639-1 code, like ur for Urdu or pl for Polish.", "code")

    @post_load
    def _to_code(self, data: dict, **_: Any) -> str:
        return _language_code(data)


def _language_code(data: dict) -> str | None:
    return two_letter_code(data.get("code") or data.get("name") or "")


class _Schedule(_Lenient):
    id = fields.UUID(required=True, error_messages=REQUIRED)
    byday = fields.String(load_default="")
    opens_at = fields.String(load_default="", validate=validate.Regexp(
        r"^$|^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", error="Give a time like 10:00."))
    closes_at = fields.String(load_default="", validate=validate.Regexp(
        r"^$|^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", error="Give a time like 12:30."))
    description = fields.String(load_default="")

    @validates("byday")
    def _days(self, value: str, **_: Any) -> None:
        unknown = [day for day in value.split(",") if day.strip() and day.strip().upper() not in ICAL_DAYS]
        if unknown:
            raise ValidationError(f"Use two-letter days, like MO,TU (not {', '.join(unknown)}).")


class _CostOption(_Lenient):
    amount = fields.Decimal(load_default=None, allow_none=True, validate=validate.Range(
        min=0, error="The amount cannot be less than 0."))
    option = fields.String(load_default="")
    amount_description = fields.String(load_default="")


class _Term(_Lenient):
    taxonomy = fields.String(required=True, error_messages=REQUIRED)
    term = fields.String(required=True, error_messages=REQUIRED)

    @validates_schema
    def _known_term(self, data: dict, **_: Any) -> None:
        terms = TAXONOMIES.get(data.get("taxonomy", ""))
        if terms is None:
            raise ValidationError(f"“{data.get('taxonomy')}” is not a taxonomy Skills Hub uses. Use one of: "
                                  + ", ".join(TAXONOMIES) + ".", "taxonomy")
        if data.get("term") not in terms:
            raise ValidationError(f"“{data.get('term')}” is not a term of {data['taxonomy']}. Use one of: "
                                  + ", ".join(list(terms)[:10]) + ".", "term")


class _Attribute(_Lenient):
    taxonomy_term = fields.Nested(_Term, required=True, error_messages=REQUIRED)


class _Organisation(_Lenient):
    id = fields.UUID(required=True, error_messages=REQUIRED)
    name = Text(required=True, error_messages=REQUIRED, validate=validate.Length(max=200))
    description = Text(load_default="", multiline=True, allow_blank=True)
    email = fields.Email(load_default=None, error_messages={"invalid": "Give a real email address."})
    website = fields.Url(load_default=None, schemes={"http", "https"},
                         error_messages={"invalid": "Give a web address starting https://."})


class ServiceRecord(_Lenient):
    id = fields.UUID(required=True, error_messages={**REQUIRED, "invalid_uuid": "Give the service a UUID."})
    name = Text(required=True, error_messages=REQUIRED, validate=validate.Length(
        max=200, error="Give a name of up to 200 characters."))
    description = Text(load_default="", multiline=True, allow_blank=True)
    url = fields.Url(load_default=None, allow_none=True, schemes={"http", "https"},
                     error_messages={"invalid": "Give a web address starting https://."})
    email = fields.Email(load_default=None, allow_none=True, error_messages={"invalid": "Give a real email address."})
    status = fields.String(required=True, error_messages=REQUIRED, validate=validate.OneOf(
        STATUSES, error="Must be one of: " + ", ".join(STATUSES) + "."))
    organization = fields.Nested(_Organisation, required=True, error_messages={
        **REQUIRED, "required": "Say which organisation runs the service."})
    # A list left out (as in HSDS's service_list shape) leaves that part of an existing service unchanged.
    service_at_locations = fields.List(fields.Nested(_ServiceAtLocation), load_default=None)
    schedules = fields.List(fields.Nested(_Schedule), load_default=None)
    languages = fields.List(fields.Nested(_Language), load_default=None)
    cost_options = fields.List(fields.Nested(_CostOption), load_default=None)
    attributes = fields.List(fields.Nested(_Attribute), load_default=None)

    @validates_schema
    def _one_term_where_one_is_meant(self, data: dict, **_: Any) -> None:
        for taxonomy in SINGLE_VALUED:
            terms = {a["taxonomy_term"]["term"] for a in data.get("attributes") or []
                     if a["taxonomy_term"]["taxonomy"] == taxonomy}
            if len(terms) > 1:
                raise ValidationError(f"Give one {taxonomy} term, not {len(terms)}: " + ", ".join(sorted(terms))
                                      + ".", "attributes")


@dataclass
class ImportReport:
    imported: list[uuid.UUID] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    records: int = 0

    @property
    def rejected(self) -> int:
        return len({path.split("]")[0] for path, _ in self.errors})


def import_records(data: Any, *, demo: bool = False) -> ImportReport:
    """Validate every record and import the valid ones (created or updated by id). Flushes, never commits."""
    report = ImportReport()
    if isinstance(data, dict):
        data = data.get("contents", [data])  # one record, or an HSDS page
    if not isinstance(data, list):
        report.errors.append(("", "The file must hold a JSON list of services (or one service)."))
        return report
    report.records = len(data)
    seen: set[uuid.UUID] = set()
    for index, record in enumerate(data):
        try:
            loaded = ServiceRecord().load(record)
        except ValidationError as error:
            report.errors += [(f"[{index}].{path}" if path else f"[{index}]", message)
                              for path, message in flatten_errors(error.messages)]
            continue
        if loaded["id"] in seen:
            report.errors.append((f"[{index}].id", "Another record in this file has the same id. Give each "
                                                   "service its own id."))
            continue
        seen.add(loaded["id"])
        report.imported.append(_save(loaded, demo=demo).id)
    return report


def import_file(raw: bytes, *, demo: bool = False) -> ImportReport:
    try:
        data = parse_json(raw)
    except JSONUnreadable as error:
        return ImportReport(errors=[("", f"This is not a JSON file we can read. {error} Save it as UTF-8 JSON "
                                         "and try again.")])
    return import_records(data, demo=demo)


def _organisation(data: dict, demo: bool) -> Organisation:
    organisation = db.session.get(Organisation, data["id"]) or db.session.scalar(
        select(Organisation).where(Organisation.name == data["name"]))
    if organisation is None:
        organisation = Organisation(id=data["id"], name=data["name"], is_demo=demo)
        db.session.add(organisation)
    organisation.description = data["description"]
    organisation.email = data["email"] or organisation.email
    organisation.website = data["website"] or organisation.website
    return organisation


def _terms(attributes: list[dict]) -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {name: [] for name in TAXONOMIES}
    for attribute in attributes:
        term = attribute["taxonomy_term"]
        if term["term"] not in terms[term["taxonomy"]]:
            terms[term["taxonomy"]].append(term["term"])
    return terms


def _save(data: dict, *, demo: bool) -> Service:
    """Create or update one service. On an update, a part the record leaves out stays as it was."""
    organisation = _organisation(data["organization"], demo)
    db.session.flush()
    service = db.session.get(Service, data["id"])
    new = service is None
    if new:
        service = Service(id=data["id"], organisation_id=organisation.id, eds_areas=[], levels=[], accessibility=[],
                          referral_needs=[], languages=[], delivery_modes=[])
        db.session.add(service)
    else:
        service.version += 1
    service.organisation_id = organisation.id
    service.name, service.description, service.status = data["name"], data["description"], data["status"]
    service.url, service.email = data["url"], data["email"]
    if data["attributes"] is not None or new:
        _apply_terms(service, _terms(data["attributes"] or []), has_locations=bool(data["service_at_locations"]))
    if data["languages"] is not None:
        service.languages = list(dict.fromkeys(data["languages"]))
    if data["cost_options"] is not None or new:
        paid = [option for option in data["cost_options"] or [] if option["amount"]]
        service.is_free = not paid
        service.cost_amount = min(option["amount"] for option in paid) if paid else None
        service.cost_description = "; ".join(option["amount_description"] or option["option"] for option in paid)
    service.is_demo = service.is_demo or demo
    service.updated_at = utcnow()
    if data["schedules"] is not None:
        service.schedules = [Schedule(id=item["id"], days=_days(item["byday"]), opens_at=item["opens_at"][:5],
                                      closes_at=item["closes_at"][:5], description=item["description"][:300])
                             for item in data["schedules"]]
    db.session.flush()
    if data["service_at_locations"] is not None:
        _link_locations(service, organisation, data["service_at_locations"])
    return service


def _apply_terms(service: Service, terms: dict[str, list[str]], *, has_locations: bool) -> None:
    service.eds_areas, service.levels = terms["skills-hub-eds-area"], terms["skills-hub-level"]
    service.delivery_modes = terms["skills-hub-delivery"] or (["in_person"] if has_locations else ["online"])
    service.accessibility, service.referral_needs = terms["skills-hub-accessibility"], terms["skills-hub-needs"]
    service.capacity = (terms["skills-hub-capacity"] or ["places_available"])[0]
    service.takes_referrals = "not_accepted" not in terms["skills-hub-referrals"]
    service.response_days = int((terms["skills-hub-response-days"] or ["5"])[0])
    service.is_demo = service.is_demo or "demo" in terms["skills-hub-dataset"]


def _link_locations(service: Service, organisation: Organisation, items: list[dict]) -> None:
    kept = []
    for item in items:
        location = _location(item["location"], organisation)
        link = db.session.get(ServiceLocation, item["id"]) or ServiceLocation(id=item["id"])
        link.service_id, link.location_id = service.id, location.id
        db.session.add(link)
        kept.append(link.id)
    for link in db.session.scalars(select(ServiceLocation).where(ServiceLocation.service_id == service.id)):
        if link.id not in kept:
            db.session.delete(link)
    db.session.flush()
    db.session.expire(service, ["locations"])


def _days(byday: str) -> list[str]:
    return [ICAL_DAYS[day.strip().upper()] for day in byday.split(",") if day.strip()]


def _location(data: dict, organisation: Organisation) -> Location:
    address = data["addresses"][0]
    where = geo.place(address["postal_code"])
    location = db.session.get(Location, data["id"]) or Location(id=data["id"], organisation_id=organisation.id)
    location.name = data["name"] or address["address_1"]
    location.address_1, location.city = address["address_1"], address["city"]
    location.postcode, location.outcode = where.postcode, where.outcode
    location.latitude, location.longitude = data["latitude"], data["longitude"]
    location.accessibility_notes = [item["description"] for item in data["accessibility"] if item["description"]]
    db.session.add(location)
    return location


# Export ---------------------------------------------------------------------------------------------------------

def _attribute(service: Service, taxonomy: str, term: str) -> dict:
    term_id = stable_id(taxonomy, term)
    return {"id": stable_id(service.id, "attribute", taxonomy, term), "link_id": str(service.id),
            "taxonomy_term_id": term_id, "link_type": "service",
            "taxonomy_term": {"id": term_id, "name": TAXONOMIES[taxonomy].get(term, term),
                              "description": f"{TAXONOMY_NAMES[taxonomy]}: {TAXONOMIES[taxonomy].get(term, term)}",
                              "taxonomy": taxonomy, "term": term}}


def _attributes(service: Service) -> list[dict]:
    pairs = [("skills-hub-eds-area", term) for term in service.eds_areas]
    pairs += [("skills-hub-level", term) for term in service.levels]
    pairs += [("skills-hub-delivery", term) for term in service.delivery_modes]
    pairs += [("skills-hub-accessibility", term) for term in service.accessibility]
    pairs += [("skills-hub-capacity", service.capacity),
              ("skills-hub-referrals", "accepts" if service.takes_referrals else "not_accepted")]
    if service.takes_referrals:
        pairs.append(("skills-hub-response-days", str(service.response_days)))
    pairs += [("skills-hub-needs", term) for term in service.referral_needs]
    if service.is_demo:
        pairs.append(("skills-hub-dataset", "demo"))
    return [_attribute(service, taxonomy, term) for taxonomy, term in pairs]


def organisation_out(organisation: Organisation) -> dict:
    out = {"id": str(organisation.id), "name": organisation.name, "description": organisation.description or ""}
    if organisation.email:
        out["email"] = organisation.email
    if organisation.website:
        out["website"] = organisation.website
    return out


def _location_out(service: Service, location: Location) -> dict:
    return {
        "id": stable_id(service.id, "at", location.id), "service_id": str(service.id),
        "location_id": str(location.id),
        "location": {
            "id": str(location.id), "location_type": "physical", "name": location.name,
            "latitude": location.latitude, "longitude": location.longitude,
            "addresses": [{"id": stable_id(location.id, "address"), "location_id": str(location.id),
                           "address_1": location.address_1, "city": location.city, "state_province": "England",
                           "postal_code": location.postcode, "country": "GB", "address_type": "physical"}],
            "accessibility": [{"id": stable_id(location.id, "accessibility", note), "location_id": str(location.id),
                               "description": note} for note in location.accessibility_notes],
        },
    }


def _fees(service: Service) -> str:
    if service.is_free:
        return "Free"
    return service.cost_description or f"£{service.cost_amount:.2f}"


def service_list_item(service: Service) -> dict:
    """The HSDS `service_list` shape: the service and its organisation, no nested lists."""
    item = {"id": str(service.id), "organization_id": str(service.organisation_id), "name": service.name,
            "description": service.description, "status": service.status, "fees": _fees(service),
            "last_modified": service.updated_at.isoformat(), "organization": organisation_out(service.organisation)}
    for key in ("url", "email"):
        if getattr(service, key):
            item[key] = getattr(service, key)
    return item


def service_full(service: Service) -> dict:
    """The HSDS UK profile `service` with its locations, schedules, languages, cost and taxonomy terms."""
    out = service_list_item(service)
    out["service_at_locations"] = [_location_out(service, location) for location in service.locations]
    out["schedules"] = [
        {"id": str(schedule.id), "service_id": str(service.id), "freq": "WEEKLY", "interval": 1,
         "byday": ",".join(code for code, day in ICAL_DAYS.items() if day in schedule.days),
         "opens_at": schedule.opens_at, "closes_at": schedule.closes_at, "description": schedule.description}
        for schedule in service.schedules]
    out["languages"] = [{"id": stable_id(service.id, "language", code), "service_id": str(service.id),
                         "code": code, "name": language_name(code)} for code in service.languages]
    out["cost_options"] = [] if service.is_free else [
        {"id": stable_id(service.id, "cost"), "service_id": str(service.id), "option": "Cost",
         "amount": float(service.cost_amount or Decimal(0)), "amount_description": service.cost_description}]
    out["attributes"] = _attributes(service)
    return out
