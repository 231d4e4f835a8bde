"""Demo data for trying every role at once: `flask demo load` (development only, loaded once)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select, update

from skills_hub import codes
from skills_hub.accounts import services as accounts
from skills_hub.accounts.models import Branch, Organisation, Role, User
from skills_hub.directory import hsds
from skills_hub.extensions import db, utcnow
from skills_hub.learning import skills as learning_skills
from skills_hub.learning.models import SkillsCheck
from skills_hub.outreach.models import Attendance

DEMO_PASSWORD = "skills-hub-demo"  # noqa: S105 (published in the README; demo mode only)
DEMO_LEARNER_NUMBER = "DEM0001D"
DEMO_PIN = "246810"
assert codes.has_valid_check(DEMO_LEARNER_NUMBER)

DEMO_BRANCH = "Central Library"
# Made-up addresses in the city, and phone numbers from Ofcom's range for drama (0161 496 0000 to 0999), which
# never ring anyone.
DEMO_BRANCH_CONTACTS = {
    DEMO_BRANCH: ("4 Portico Walk\nManchester M2 5XA", "0161 496 0100",
                  "Monday to Friday: 9am to 7pm\nSaturday: 10am to 4pm\nSunday: closed"),
    "Longsight Library (demo)": ("27 Hallward Street\nLongsight\nManchester M13 0XQ", "0161 496 0210",
                                 "Monday, Wednesday and Friday: 10am to 5pm\nTuesday and Thursday: 1pm to 7pm\n"
                                 "Saturday: 10am to 1pm\nSunday: closed"),
    "Oldham Library (demo)": ("8 Weavers Row\nOldham OL1 1XZ", "0161 496 0320",
                              "Monday to Friday: 9:30am to 6pm\nSaturday: 10am to 2pm\nSunday: closed"),
}
DEMO_STAFF = "staff@demo.skillshub.test"
DEMO_ORGANISATIONS = ("Hollybank Community Learning (demo)", "Riverside Digital Skills Trust (demo)")
DEMO_USERS = [
    # (email, role, given name, family name, organisation index or None, in branch)
    ("admin@demo.skillshub.test", Role.ADMIN, "Amira", "Haddad", None, False),
    (DEMO_STAFF, Role.STAFF, "Sam", "O'Brien", None, True),
    ("provider@demo.skillshub.test", Role.PROVIDER, "Priya", "Shah", 0, False),
    ("provider2@demo.skillshub.test", Role.PROVIDER, "Tom", "Kowalski", 1, False),
    ("learner@demo.skillshub.test", Role.LEARNER, "Siobhán", "Nguyễn", None, True),
]


def load_demo_data() -> bool:
    """Add the demo people once. Returns False when they are there already. Flushes, never commits.

    Their history goes through the services a resident or a member of staff uses (enrol, lessons done, the
    knowledge check, completion and its certificate), with the clock set back to when each step happened, so that
    every page and report applies the same rules to it as to real work.
    """
    if db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])) is not None:
        return False
    now = utcnow()
    branch = _demo_branch(DEMO_BRANCH)
    db.session.add(branch)
    report = hsds.import_file(current_app.config["DEMO_DIRECTORY_FILE"].read_bytes(), demo=True)
    if report.errors:
        raise RuntimeError(f"The demo directory file has problems: {report.errors[:3]}")
    organisations = [db.session.scalar(select(Organisation).where(Organisation.name == name))
                     or Organisation(name=name, is_demo=True) for name in DEMO_ORGANISATIONS]
    db.session.add_all(organisations)
    db.session.flush()
    people = {email: accounts.create_user(role=role, given_name=given, family_name=family, email=email,
                                          password=DEMO_PASSWORD, is_demo=True,
                                          organisation=organisations[org] if org is not None else None,
                                          branches=[branch] if in_branch else [])
              for email, role, given, family, org, in_branch in DEMO_USERS}
    staff = people[DEMO_STAFF]
    mohammed = accounts.create_user(role=Role.LEARNER, given_name="Mohammed", family_name="Khan",
                                    learner_number=DEMO_LEARNER_NUMBER, pin=DEMO_PIN, branches=[branch], is_demo=True,
                                    postcode="M13 9GH", preferred_language="ur", created_at=now - timedelta(days=8))
    # Two lessons with Sam at the library: the first a week ago, the second yesterday.
    _start_a_course(mohammed, "getting-started", helper=staff,
                    lesson_times=[now - timedelta(days=8), now - timedelta(days=1)])
    quiet = accounts.create_user(role=Role.LEARNER, given_name="Olu", family_name="Adeyemi", branches=[branch],
                                 learner_number=accounts.new_learner_number(), is_demo=True,
                                 created_at=now - timedelta(days=20, hours=1))
    # Shows under "Not active for 14 days" on the staff dashboard.
    _start_a_course(quiet, "using-email", helper=staff, lesson_times=[now - timedelta(days=20)])
    _programme_history(branch, staff, now)
    return True


HISTORY_RESIDENTS = 60
HISTORY_BRANCHES = ("Longsight Library (demo)", "Oldham Library (demo)")
# Staff at the two other libraries, who helped their residents. They have no password: nobody signs in as them.
HISTORY_HELPERS = (("longsight.staff@demo.skillshub.test", "Joy", "Okafor"),
                   ("oldham.staff@demo.skillshub.test", "Dafydd", "Evans"))
HISTORY_NAMES = ("Amina", "Bogdan", "Chen", "Dorothy", "Emeka", "Fatima", "Gareth", "Hui", "Ifeoma", "Jamal",
                 "Kasia", "Leon", "Maryam", "Niamh", "Oksana", "Pradeep", "Qasim", "Rosa", "Samir", "Tomasz")
HISTORY_POSTCODES = ("M13 0PD", "M14 5LT", "M1 2HF", "OL1 3BE", "SK1 3TA", "M8 5RB")
COURSE_TAKES_UP_TO = timedelta(days=10)


def _programme_history(home: Branch, home_staff: User, now: datetime) -> None:
    """Sixty demo residents over the last six months at three libraries, so that /reports has figures to draw.

    Resident n registered 3n+1 days ago (at 10:00 to 15:00), at one of three libraries, and started one course
    the same day: every other one with a member of staff (who enrols them and records their lessons: done with a
    helper), the rest on their own. Three in four finish within ten days, or by an hour ago for the newest:
    every lesson, then the knowledge check, which one in five of them fails once before passing. Completing it
    issues the certificate, as it does for anyone. The other one in four did two lessons and stopped. One in four
    came to a job club session at their library on the day they registered. Those who finished took the skills
    check when they started and again when they finished. Learner numbers but no PINs: nobody signs in as them.
    """
    from skills_hub.courses.models import Course
    from skills_hub.learning import services as learning

    courses = db.session.scalars(select(Course).where(Course.published.is_(True), Course.retired_at.is_(None))
                                 .order_by(Course.slug)).all()
    if not courses:
        return
    branches = [home] + [_demo_branch(name) for name in HISTORY_BRANCHES]
    db.session.add_all(branches[1:])
    db.session.flush()
    helpers = [home_staff] + [
        accounts.create_user(role=Role.STAFF, given_name=given, family_name=family, email=email, branches=[library],
                             is_demo=True, created_at=now - timedelta(days=200))
        for (email, given, family), library in zip(HISTORY_HELPERS, branches[1:], strict=True)]
    statements = learning_skills.statements()
    for n in range(HISTORY_RESIDENTS):
        library, helper, course = branches[n % 3], helpers[n % 3], courses[n % len(courses)]
        registered = (now - timedelta(days=3 * n + 1)).replace(hour=10 + n % 6, minute=0, second=0, microsecond=0)
        with_helper, finishes = n % 2 == 0, n % 4 != 1
        by = helper if with_helper else None
        learner = accounts.create_user(role=Role.LEARNER, given_name=HISTORY_NAMES[n % 20],
                                       family_name=f"Demo {n + 1}", branches=[library], is_demo=True,
                                       postcode=HISTORY_POSTCODES[n % 6],
                                       learner_number=accounts.new_learner_number(), created_at=registered,
                                       created_by_id=helper.id)
        if n % 4 == 0:
            db.session.add(Attendance(learner_id=learner.id, branch_id=library.id, session_date=registered.date(),
                                      venue="Job club", recorded_by_id=helper.id, recorded_at=registered))
        lessons = course.current_lessons
        steps = len(lessons) + 1  # the knowledge check is the last step
        span = min(COURSE_TAKES_UP_TO, now - timedelta(hours=1) - registered)
        step_time = [registered + span * step / steps for step in range(steps + 1)]  # [0] is the first visit
        learning.enrol(learner, course, by=by, when=registered)
        for number, lesson in enumerate(lessons if finishes else lessons[:2], start=1):
            learning.lesson_done(learner.id, lesson, assisted=with_helper, by=by, when=step_time[number])
        if not finishes:
            continue
        if n % 5 == 0:  # a first try that fails, then a pass at the next visit
            learning.take_check(learner, course, _answers(course, right=False),
                                when=step_time[steps - 1] + timedelta(minutes=10))
        learning.take_check(learner, course, _answers(course, right=True), when=step_time[steps])
        # The skills check (the page adds the answers as they are; there is no service to call): more sure
        # afterwards, most of all in the course's own areas.
        before = {statement.id: 1 + (n + i) % 2 for i, statement in enumerate(statements)}
        after = {statement.id: before[statement.id] + (2 if statement.area in course.eds_areas else 1)
                 for statement in statements}
        db.session.add_all([SkillsCheck(learner_id=learner.id, taken_at=registered, answers=before),
                            SkillsCheck(learner_id=learner.id, taken_at=step_time[steps] + timedelta(minutes=5),
                                        answers=after)])
    db.session.flush()
    _date_the_issue_of_certificates()


def _demo_branch(name: str) -> Branch:
    address, phone, opening_hours = DEMO_BRANCH_CONTACTS[name]
    return Branch(name=name, is_demo=True, address=address, phone=phone, opening_hours=opening_hours)


def _answers(course, right: bool) -> dict[str, str]:
    """Answers to the course's knowledge check: all right, or only the first right (below any pass mark)."""
    answers = {}
    for number, question in enumerate(course.knowledge_check["questions"]):
        good = right or number == 0
        answers[question["id"]] = next(c["id"] for c in question["choices"] if bool(c.get("correct")) == good)
    return answers


def _date_the_issue_of_certificates() -> None:
    """Certificates issue records their "issued" event at the moment of the call; in the demo's history the issue
    happened when the course was completed, which is the certificate's award date."""
    from skills_hub.certificates.models import Certificate, CertificateEvent

    awarded = select(Certificate.awarded_at).where(Certificate.id == CertificateEvent.certificate_id) \
        .scalar_subquery()
    of_demo_residents = select(Certificate.id).join(User, User.id == Certificate.learner_id) \
        .where(User.is_demo.is_(True))
    db.session.execute(update(CertificateEvent).where(CertificateEvent.kind == "issued",
                                                      CertificateEvent.certificate_id.in_(of_demo_residents))
                       .values(at=awarded), execution_options={"synchronize_session": False})


def _start_a_course(learner: User, slug: str, helper: User, lesson_times: list[datetime]) -> None:
    """Some progress to see on My learning and the staff dashboard (when the course files are synced): enrolled by
    the helper at the first visit, one lesson done with them at each visit."""
    from skills_hub.courses.models import Course
    from skills_hub.learning import services as learning

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        return
    learning.enrol(learner, course, by=helper, when=lesson_times[0])
    for lesson, when in zip(course.current_lessons, lesson_times, strict=False):
        learning.lesson_done(learner.id, lesson, assisted=True, by=helper, when=when)


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
