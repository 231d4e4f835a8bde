"""Every domain's `flask` commands, registered in one place."""

from __future__ import annotations

from flask import Flask

from skills_hub import migrate
from skills_hub.accounts.cli import users_cli
from skills_hub.certificates.cli import certificates_cli
from skills_hub.courses.cli import courses_cli
from skills_hub.dataprotection.cli import data_cli
from skills_hub.demo import demo_cli
from skills_hub.directory.cli import directory_cli
from skills_hub.imports.cli import learners_cli
from skills_hub.jobs.cli import jobs_cli
from skills_hub.referrals.cli import referrals_cli


def init_app(app: Flask) -> None:
    migrate.init_app(app)
    app.cli.add_command(courses_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(referrals_cli)
    app.cli.add_command(learners_cli)
    app.cli.add_command(data_cli)
