"""Every column about a person is claimed by the domains' export, erase and merge handlers, or marked as an actor.

The check walks the tables: a foreign key to `users.id`, a column marked PERSONAL and a JSON column marked
NAMES_RESIDENT must each be answered for (see `skills_hub/residents.py`). A new table about residents that no
domain answers for fails here, naming the column.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, MetaData, String, Table

from skills_hub import residents
from skills_hub.extensions import db
from skills_hub.models import import_models


def _about_a_person(column: Column) -> bool:
    return any(fk.target_fullname == "users.id" for fk in column.foreign_keys) or bool(
        column.info.get("personal") or column.info.get("names_resident"))


def unclaimed(metadata: MetaData) -> list[str]:
    """Each column about a person that a handler should answer for and none does, with what is missing."""
    exported_tables = {name.split(".")[0] for name in residents.CLAIMS["export"]}
    problems = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if not _about_a_person(column):
                continue
            if "actor" in column.info:
                if not str(column.info["actor"]).strip():
                    problems.append(f"{name}: marked as an actor column without a reason")
                continue
            missing = []
            if table.name not in exported_tables and name not in residents.LEFT_OUT_OF_EXPORT:
                missing.append("export")
            if name not in residents.CLAIMS["erase"]:
                missing.append("erase")
            is_reference = bool(column.foreign_keys) or column.info.get("names_resident")
            if is_reference and name not in residents.CLAIMS["merge"]:
                missing.append("merge")
            if missing:
                problems.append(f"{name}: claimed by no {' or '.join(missing)} handler, and not an actor column")
    return problems


def test_every_column_about_a_person_is_claimed_or_marked_as_an_actor(app):
    import_models()
    assert unclaimed(db.metadata) == []


def test_the_check_covers_every_reference_to_a_person(app):
    import_models()
    references = [f"{table.name}.{column.name}" for table in db.metadata.sorted_tables for column in table.columns
                  if any(fk.target_fullname == "users.id" for fk in column.foreign_keys)]
    assert len(references) >= 35  # the 35 foreign keys to users.id when the claims were written
    actors = [name for name in references if "actor" in db.metadata.tables[name.split(".")[0]].c[
        name.split(".")[1]].info]
    assert 10 <= len(actors) < len(references)


def test_a_new_table_about_residents_without_handlers_fails_naming_its_columns(app):
    import_models()
    metadata = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("loans", metadata, Column("id", String(36), primary_key=True),
          Column("learner_id", ForeignKey("users.id")),
          Column("lent_by_id", ForeignKey("users.id"), info=residents.actor("the staff member who lent it")),
          Column("notes", String(200), info=residents.PERSONAL),
          Column("sms_payload", JSON, info=residents.NAMES_RESIDENT))
    assert unclaimed(metadata) == [
        "loans.learner_id: claimed by no export or erase or merge handler, and not an actor column",
        "loans.notes: claimed by no export or erase handler, and not an actor column",
        "loans.sms_payload: claimed by no export or erase or merge handler, and not an actor column",
    ]


def test_an_actor_column_needs_a_reason(app):
    metadata = MetaData()
    Table("users", metadata, Column("id", String(36), primary_key=True))
    Table("notes", metadata, Column("id", String(36), primary_key=True),
          Column("written_by_id", ForeignKey("users.id"), info=residents.actor(" ")))
    assert unclaimed(metadata) == ["notes.written_by_id: marked as an actor column without a reason"]


def test_a_claim_needs_a_reason():
    import pytest

    from skills_hub.accounts.models import User

    with pytest.raises(ValueError, match="Say why"):
        residents.claim("erase", User.email, reason="  ")
