"""A resident's data across the domains: the signals that export, erase and merge it, and the claims on it.

Each domain answers these signals for its own tables, from its own package (its `lifecycle.py`), and says which
columns it answers for with the decorators below. `tests/test_residents.py` walks every table and fails, naming
the column, when a column about a person is claimed by no export, erase and merge handler and is not marked as
an actor column (staff who did something) with a reason. So a new table cannot be forgotten.

Column marks, in `mapped_column(info=...)`:
- `PERSONAL`: says something about the person (a name, an answer, a need): exported, and emptied or kept on
  erasure by a handler that claims it.
- `NAMES_RESIDENT`: JSON that can name a resident or hold their details (a sync payload, an email job):
  exported or left out with a reason, and claimed by an erase and a merge handler.
- `actor("reason")`: a member of staff (or the resident) who did something; the row is about someone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from blinker import ANY, NamedSignal, Namespace, Signal
from sqlalchemy import ColumnElement, update

__all__ = ["ANY", "NAMES_RESIDENT", "PERSONAL", "Erasure", "Export", "actor", "after_erasure", "claim", "erases",
           "exports", "leave_out_of_export", "merges"]

PERSONAL = {"personal": True}
NAMES_RESIDENT = {"names_resident": True}


def actor(reason: str) -> dict[str, str]:
    """Mark a column that records who did something (not whom it is about), with a one-line reason."""
    return {"actor": reason}


class _OrderedSet(dict):
    """blinker's receiver sets, kept in connection order, so handlers run in the same order every time."""

    def add(self, item: Any) -> None:
        self[item] = None

    def discard(self, item: Any) -> None:
        self.pop(item, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self)

    def __or__(self, other: Any) -> _OrderedSet:  # type: ignore[override]
        merged = _OrderedSet(self)
        merged.update(dict.fromkeys(other))
        return merged


class _OrderedSignal(NamedSignal):
    set_class = _OrderedSet  # type: ignore[assignment]


class _Signals(Namespace):
    def signal(self, name: str, doc: str | None = None) -> NamedSignal:
        if name not in self:
            self[name] = _OrderedSignal(name, doc)
        return self[name]


signals = _Signals()

learner_exporting = signals.signal("learner-exporting", doc="""A subject-access export is being made.
Sender: the learner (User). `export`: the Export to add sections to.""")
learner_erasing = signals.signal("learner-erasing", doc="""A resident is being erased: each domain empties or
coarsens its rows about them. Sender: the learner. `erasure`: the Erasure (who asked, the records, the counts).""")
learner_erased = signals.signal("learner-erased", doc="""Every domain has erased its rows; last tidying up (queued
emails to the resident's old addresses). Sender: the learner. `erasure`: the Erasure.""")
learners_merging = signals.signal("learners-merging", doc="""One resident's record is being merged into another:
each domain moves its rows from `sender` (the record that goes) to `kept`.""")
course_completed = signals.signal("course-completed", doc="""A resident finished a course (every lesson and the
knowledge check, or on paper). Sender: the enrolment. Keyword arguments: learner, course, awarded_at, assisted,
actor (who recorded it on paper, or None), reason. Answered in the same transaction.""")

# "table.column" claimed by a handler of each kind; reasons for what is deliberately left out of the export.
CLAIMS: dict[str, set[str]] = {"export": set(), "erase": set(), "merge": set()}
LEFT_OUT_OF_EXPORT: dict[str, str] = {}

H = TypeVar("H", bound=Callable[..., Any])


def _name(column: Any) -> str:
    return f"{column.table.name}.{column.name}" if hasattr(column, "table") else \
        f"{column.class_.__tablename__}.{column.key}"


def _handler(kind: str, signal: Signal, columns: tuple[Any, ...]) -> Callable[[H], H]:
    def connect(handler: H) -> H:
        CLAIMS[kind].update(_name(column) for column in columns)
        signal.connect(handler, weak=False)
        return handler

    return connect


def exports(*columns: Any) -> Callable[[H], H]:
    """Connect a `learner_exporting` handler; the tables of `columns` are exported (every column but secrets)."""
    return _handler("export", learner_exporting, columns)


def erases(*columns: Any) -> Callable[[H], H]:
    """Connect a `learner_erasing` handler that decides what happens to `columns` on erasure."""
    return _handler("erase", learner_erasing, columns)


def after_erasure(*columns: Any) -> Callable[[H], H]:
    """Connect a `learner_erased` handler (it runs once every domain has erased its rows) that claims `columns`."""
    return _handler("erase", learner_erased, columns)


def merges(*columns: Any) -> Callable[[H], H]:
    """Connect a `learners_merging` handler that moves or folds `columns` from the record that goes."""
    return _handler("merge", learners_merging, columns)


def claim(kind: str, *columns: Any, reason: str) -> None:
    """Claim columns whose right answer for `kind` is to leave them as they are, saying why."""
    if not reason.strip():
        raise ValueError("Say why these columns are left as they are.")
    CLAIMS[kind].update(_name(column) for column in columns)


def leave_out_of_export(column: Any, reason: str) -> None:
    """A column about a person that the export deliberately leaves out (a secret, or a copy held elsewhere)."""
    LEFT_OUT_OF_EXPORT[_name(column)] = reason


# The export ---------------------------------------------------------------------------------------------------------

@dataclass
class Section:
    name: str
    model: type
    rows_about: ColumnElement[bool]


@dataclass
class Export:
    """What each `learner_exporting` handler adds to: one section per table, rows chosen by a WHERE clause."""

    learner: Any
    sections: list[Section] = field(default_factory=list)

    def add(self, name: str, model: type, rows_about: ColumnElement[bool]) -> None:
        self.sections.append(Section(name, model, rows_about))


# Erasure ------------------------------------------------------------------------------------------------------------

@dataclass
class Erasure:
    """One erasure: who asked (None for the retention job), the records it covers (the resident and every record
    merged into them, read before anything changed), and what the handlers report."""

    actor: Any
    learner: Any
    records: list[Any]
    reference: str  # what the erased record is called from now on: "resident <reference>"
    emails: set[str]  # the records' email addresses, read before anything changed
    name_keys: set[str] = field(default_factory=set)  # their names as the matcher compares them, likewise
    counts: dict[str, int] = field(default_factory=dict)
    anonymised_fields: list[str] = field(default_factory=list)

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.actor.id if self.actor is not None else None

    @property
    def record_ids(self) -> list[uuid.UUID]:
        return [record.id for record in self.records]

    def count(self, name: str, how_many: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + how_many

    def anonymised(self, *names: str) -> None:
        self.anonymised_fields.extend(names)


def move_rows(*columns: Any, gone: Any, kept: Any) -> None:
    """A merge: point each column's rows that name the record that goes at the kept record instead."""
    from skills_hub.extensions import db

    for column in columns:
        db.session.execute(update(column.class_).where(column == gone.id).values({column.key: kept.id}),
                           execution_options={"synchronize_session": False})


def send(signal: Signal, sender: Any, **kwargs: Any) -> Iterator[Any]:
    """Send and yield what each receiver returned."""
    for _receiver, result in signal.send(sender, **kwargs):
        yield result
