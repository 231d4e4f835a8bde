"""Demo data for trying every role at once: `flask demo load` (development only, loaded once)."""

from __future__ import annotations

import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from skills_hub import codes
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.directory import hsds
from skills_hub.extensions import db

DEMO_PASSWORD = "skills-hub-demo"  # noqa: S105 (published in the README; demo mode only)
DEMO_LEARNER_NUMBER = "DEM0001D"
DEMO_PIN = "246810"
assert codes.has_valid_check(DEMO_LEARNER_NUMBER)

DEMO_BRANCH = "Central Library"
DEMO_ORGANISATIONS = ("Hollybank Community Learning (demo)", "Riverside Digital Skills Trust (demo)")
DEMO_USERS = [
    # (email, role, given name, family name, organisation index or None, in branch)
    ("admin@demo.skillshub.test", Role.ADMIN, "Amira", "Haddad", None, False),
    ("staff@demo.skillshub.test", Role.STAFF, "Sam", "O'Brien", None, True),
    ("provider@demo.skillshub.test", Role.PROVIDER, "Priya", "Shah", 0, False),
    ("provider2@demo.skillshub.test", Role.PROVIDER, "Tom", "Kowalski", 1, False),
    ("learner@demo.skillshub.test", Role.LEARNER, "Siobhán", "Nguyễn", None, True),
]


def load_demo_data() -> bool:
    """Add the demo people once. Returns False when they are there already. Flushes, never commits."""
    if db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])) is not None:
        return False
    branch = Branch(name=DEMO_BRANCH, is_demo=True)
    db.session.add(branch)
    report = hsds.import_file(current_app.config["DEMO_DIRECTORY_FILE"].read_bytes(), demo=True)
    if report.errors:
        raise RuntimeError(f"The demo directory file has problems: {report.errors[:3]}")
    organisations = [db.session.scalar(select(Organisation).where(Organisation.name == name))
                     or Organisation(name=name, is_demo=True) for name in DEMO_ORGANISATIONS]
    db.session.add_all(organisations)
    db.session.flush()
    for email, role, given, family, org, in_branch in DEMO_USERS:
        accounts.create_user(role=role, given_name=given, family_name=family, email=email, password=DEMO_PASSWORD,
                             organisation=organisations[org] if org is not None else None,
                             branches=[branch] if in_branch else [], is_demo=True)
    mohammed = accounts.create_user(role=Role.LEARNER, given_name="Mohammed", family_name="Khan",
                                    learner_number=DEMO_LEARNER_NUMBER, pin=DEMO_PIN, branches=[branch], is_demo=True,
                                    postcode="M13 9GH", preferred_language="ur")
    _start_a_course(mohammed, "getting-started", lessons_done=2)
    quiet = accounts.create_user(role=Role.LEARNER, given_name="Olu", family_name="Adeyemi", branches=[branch],
                                 learner_number=accounts.new_learner_number(), is_demo=True)
    _start_a_course(quiet, "using-email", lessons_done=1, days_ago=20)  # shows under "Not active for 14 days"
    _programme_history(branch)
    return True


HISTORY_BRANCHES = ("Longsight Library (demo)", "Oldham Library (demo)")
HISTORY_NAMES = ("Amina", "Bogdan", "Chen", "Dorothy", "Emeka", "Fatima", "Gareth", "Hui", "Ifeoma", "Jamal",
                 "Kasia", "Leon", "Maryam", "Niamh", "Oksana", "Pradeep", "Qasim", "Rosa", "Samir", "Tomasz")
HISTORY_POSTCODES = ("M13 0PD", "M14 5LT", "M1 2HF", "OL1 3BE", "SK1 3TA", "M8 5RB")


def _programme_history(home: Branch) -> None:
    """Sixty demo residents over the last six months at three libraries, so that /reports has figures to draw:
    courses started and completed (some with a helper), and outreach attendance. No PINs: nobody signs in."""
    from skills_hub.courses.models import Course
    from skills_hub.extensions import utcnow
    from skills_hub.learning.models import Enrolment, LessonProgress
    from skills_hub.outreach.models import Attendance

    courses = db.session.scalars(select(Course).order_by(Course.slug)).all()
    if not courses:
        return
    branches = [home] + [Branch(name=name, is_demo=True) for name in HISTORY_BRANCHES]
    db.session.add_all(branches[1:])
    db.session.flush()
    now = utcnow()
    for n in range(60):
        when = now - timedelta(days=3 * n + 1)
        learner = accounts.create_user(role=Role.LEARNER, given_name=HISTORY_NAMES[n % 20],
                                       family_name=f"Demo {n + 1}", branches=[branches[n % 3]], is_demo=True,
                                       postcode=HISTORY_POSTCODES[n % 6], learner_number=None)
        learner.created_at = when
        course = courses[n % len(courses)]
        done = n % 4 != 1
        enrolment = Enrolment(learner_id=learner.id, course_id=course.id, enrolled_at=when, last_active_at=when,
                              completed_at=when + timedelta(days=10) if done else None)
        db.session.add(enrolment)
        for lesson in course.current_lessons[:2]:
            db.session.add(LessonProgress(learner_id=learner.id, course_id=course.id, lesson_id=lesson.id,
                                          started_at=when, done_at=when, assisted=n % 2 == 0))
        if n % 4 == 0:
            db.session.add(Attendance(learner_id=learner.id, branch_id=branches[n % 3].id,
                                      session_date=when.date(), venue="Job club", recorded_by_id=learner.id))
    db.session.flush()


def _start_a_course(learner: User, slug: str, lessons_done: int, days_ago: int = 0) -> None:
    """Some progress to see on My learning and the staff dashboard (when the course files are synced)."""
    from skills_hub.courses.models import Course
    from skills_hub.extensions import utcnow
    from skills_hub.learning import services as learning

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        return
    enrolment, _ = learning.enrol(learner, course)
    when = utcnow() - timedelta(days=days_ago)
    enrolment.enrolled_at = enrolment.last_active_at = when
    for lesson in course.current_lessons[:lessons_done]:
        learning.lesson_done(learner.id, lesson, assisted=True, when=when)


def sign_ins_text() -> str:
    lines = ["Demo sign-ins (password for all: skills-hub-demo):"]
    lines += [f"  {role.value:<9} {email}" for email, role, *_ in DEMO_USERS]
    lines.append(f"  learner   no email: learner number {codes.grouped(DEMO_LEARNER_NUMBER)}, PIN {DEMO_PIN}")
    return "\n".join(lines)


demo_cli = AppGroup("demo", help="Demo data for trying Skills Hub (never in production).")


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo people once, and print their sign-ins."""
    if not current_app.config["DEMO_ENABLED"]:
        click.echo("Demo data is off here (production, or SKILLS_HUB_DEMO=false).", err=True)
        sys.exit(1)
    if load_demo_data():
        db.session.commit()
        click.echo("Demo data loaded.")
    else:
        click.echo("Demo data is already loaded; nothing changed.")
    click.echo(sign_ins_text())
