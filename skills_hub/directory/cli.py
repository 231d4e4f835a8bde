"""`flask directory import FILE`: load an Open Referral UK JSON file, reporting every problem by its path."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from skills_hub.directory import hsds
from skills_hub.extensions import db

directory_cli = AppGroup("directory", help="The directory of local providers (Open Referral UK).")


@directory_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Mark what is imported as demo data.")
def import_command(file: Path, demo: bool) -> None:
    """Import services from FILE; valid records go in, each problem is printed with its path."""
    report = hsds.import_file(file.read_bytes(), demo=demo)
    db.session.commit()
    for path, message in report.errors:
        click.echo(f"{file}: {path or '(file)'}: {message}", err=True)
    click.echo(f"Imported {len(report.imported)} of {report.records} services; {report.rejected} with problems.")
    if report.errors:
        sys.exit(1)
