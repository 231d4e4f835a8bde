"""The outreach page in headless Chromium: loaded online, it keeps registering residents with no connection (the
service worker serves it, IndexedDB keeps the records), and sends them when the connection is back, exactly once;
it is keyboard-usable, announces what happens, passes axe, and without JavaScript is the ordinary online form.

Playwright's `set_offline` does not cut a service worker's own fetches in Chromium, so for the offline part these
tests also stop their own server (and drop its open connections), then start it again on the same port: the same
origin keeps the service worker, its cache, the IndexedDB queue and the session cookie.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import ThreadedWSGIServer

from skills_hub.accounts import sessions
from skills_hub.accounts.models import Role, User
from skills_hub.demo import DEMO_PASSWORD
from skills_hub.extensions import db
from skills_hub.learning.models import Enrolment, LessonProgress
from skills_hub.outreach.models import Attendance, SyncOperation
from tests.browser.test_pages_in_chromium import assert_accessible, sign_in
from tests.conftest import free_port

pytestmark = pytest.mark.browser

STAFF = "staff@demo.skillshub.test"
OUTREACH = "/staff/outreach"
VENUE = "St Mary's Church Hall"
SENT_ITEM = re.compile(r"^(?P<name>.+): learner number (?P<number>[0-9A-Z]{4}-[0-9A-Z]{4}), PIN to be made\. ")

QUEUE_JS = """() => new Promise((resolve, reject) => {
  const request = indexedDB.open("skills-hub-outreach");
  request.onerror = () => reject(request.error);
  request.onsuccess = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains("queue")) { db.close(); resolve(null); return; }
    const all = db.transaction("queue", "readonly").objectStore("queue").getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.sort((a, b) => a.seq - b.seq)); };
    all.onerror = () => { db.close(); reject(all.error); };
  };
})"""

SYNC_AGAIN_JS = """async (operations) => {
  const token = document.querySelector("#outreach-form input[name=csrf_token]").value;
  const response = await fetch("/api/v1/sync", {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token},
    body: JSON.stringify({device_id: "outreach-page", operations: operations.map(
      (r) => ({op_id: r.op_id, type: r.type, recorded_at: r.recorded_at, payload: r.payload}))}),
  });
  return {status: response.status, body: await response.json()};
}"""


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server that, once stopped, also drops the connections it still holds open (keep-alive
    or preconnected sockets), so that the browser really cannot reach it until it starts again."""

    def __init__(self, port: int, app) -> None:
        self.open_connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        super().__init__("127.0.0.1", port, app)

    def process_request(self, request, client_address) -> None:
        with self.lock:
            self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.lock:
            self.open_connections.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self) -> None:
        with self.lock:
            connections, self.open_connections = list(self.open_connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class RestartableServer:
    """The app on a fixed local port, which a test can stop (the server is gone) and start again (same origin)."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: _Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        assert self.server is None, "the server is running already"
        self.server = _Server(self.port, self.app)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is None:
            return
        server, self.server = self.server, None
        server.shutdown()
        self.thread.join(10)  # werkzeug's serve_forever closes the listening socket itself, on its way out
        server.server_close()
        server.drop_open_connections()
        with socket.socket() as probe:  # nothing answers on the port now
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0, f"port {self.port} still answers"


@pytest.fixture
def server(app):
    app.config["WTF_CSRF_SSL_STRICT"] = False
    running = RestartableServer(app)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def context(browser, server, demo):
    """A fresh browser profile (its own service workers, IndexedDB and cookies) on this test's server."""
    context = browser.new_context(base_url=server.url, bypass_csp=True)  # bypass_csp: only for axe's script
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def staff_page(context):
    page = context.new_page()
    sign_in(page, STAFF)
    expect(page).to_have_url(re.compile(r"/staff$"))
    return page


# Helpers ------------------------------------------------------------------------------------------------------------

def server_counts(app) -> dict[str, int]:
    """What the server holds: learners (the demo has some), attendances, enrolments, assisted lessons done."""
    with app.app_context():
        count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        return {"learners": count(User, User.role == Role.LEARNER), "attendances": count(Attendance),
                "enrolments": count(Enrolment), "sync_operations": count(SyncOperation),
                "assisted_lessons_done": count(LessonProgress, LessonProgress.assisted.is_(True),
                                               LessonProgress.done_at.is_not(None))}


def learners_named(app, names: list[str]) -> list[User]:
    with app.app_context():
        found = []
        for name in names:
            given, family = name.split(" ", 1)
            found.extend(db.session.scalars(select(User).where(User.given_name == given, User.family_name == family)))
        for learner in found:
            db.session.expunge(learner)
        return found


def queue_on_device(page) -> list[dict]:
    records = page.evaluate(QUEUE_JS)
    assert records is not None, "the page has not made its IndexedDB store"
    return records


def queue_status(page):
    return page.locator("#queue-status")


def queue_heading(page):
    return page.get_by_role("heading", name=re.compile(r"^Saved on this computer"))


def open_outreach_page(page) -> None:
    page.goto(OUTREACH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Outreach session")
    expect(queue_heading(page)).to_have_text("Saved on this computer: nothing waiting")


def wait_until_the_service_worker_controls(page) -> None:
    """The worker is installed (its cache filled) and active; a reload puts the page under its control."""
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)").endswith(OUTREACH)
    page.reload()
    expect(queue_heading(page)).to_have_text("Saved on this computer: nothing waiting")
    page.wait_for_function("navigator.serviceWorker.controller?.state === 'activated'")
    assert page.evaluate("caches.open('skills-hub-outreach-v1').then((c) => c.match('/staff/outreach'))"
                         ".then((r) => !!r && r.ok)"), "the service worker has the page in its cache"


def focus_by_tab(page, target, limit: int = 60) -> None:
    """Press Tab until `target` has the keyboard focus."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def register_with_the_keyboard(page, given: str, family: str) -> None:
    """Fill and send the form with Tab, typing, Space, arrow keys and Enter only (no clicks, no fill)."""
    focus_by_tab(page, page.get_by_label("First name", exact=True))
    page.keyboard.type(given)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Last name", exact=True)).to_be_focused()
    page.keyboard.type(family)
    in_person = page.get_by_label("In person, today")
    focus_by_tab(page, in_person)
    page.keyboard.press("Space")
    expect(in_person).to_be_checked()
    focus_by_tab(page, page.get_by_label("Where", exact=True))
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type(VENUE)
    lesson = page.get_by_label("Lesson done today with a helper (optional)")
    focus_by_tab(page, lesson)
    page.keyboard.press("ArrowDown")  # from "None" to the first lesson
    expect(lesson).not_to_have_value("")
    focus_by_tab(page, page.get_by_role("button", name="Register", exact=True))
    page.keyboard.press("Enter")


def register_with_the_mouse(page, given: str, family: str, *, course: str | None = None) -> None:
    page.get_by_label("First name", exact=True).fill(given)
    page.get_by_label("Last name", exact=True).fill(family)
    page.get_by_label("On a paper form").check()
    page.get_by_label("Where", exact=True).fill(VENUE)
    expect(page.get_by_label("They came to this session")).to_be_checked()
    if course:
        page.get_by_label("Start a course (optional)").select_option(course)
    lesson = page.get_by_label("Lesson done today with a helper (optional)")
    in_course = f"option[value^='{course}/']" if course else "option:not([value=''])"
    first_lesson = lesson.locator(in_course).first.get_attribute("value")
    lesson.select_option(first_lesson)
    page.get_by_role("button", name="Register", exact=True).click()


# Tests --------------------------------------------------------------------------------------------------------------

def test_residents_registered_offline_sync_once_when_the_connection_is_back(app, server, context, staff_page):
    page = staff_page
    open_outreach_page(page)
    status = queue_status(page)
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.locator("#connection-status")).to_have_text("Connected. Records are sent straight away.")
    expect(page.get_by_role("button", name="Sync now")).to_be_visible()
    wait_until_the_service_worker_controls(page)
    assert_accessible(page)
    user_id = page.locator("#outreach-app").get_attribute("data-user-id")
    before = server_counts(app)

    # Offline: the browser says so, and the server is really gone (the worker's own fetches fail too).
    server.stop()
    context.set_offline(True)
    expect(page.locator("#connection-status")).to_have_text(
        "No connection. Records are saved here and sent when the connection comes back.")

    register_with_the_keyboard(page, "Aoife", "Brennan")
    expect(status).to_have_text("Aoife Brennan is saved on this computer.")
    expect(page.get_by_label("First name", exact=True)).to_be_focused()  # ready for the next resident
    expect(page.get_by_label("First name", exact=True)).to_have_value("")
    expect(page.get_by_label("Where", exact=True)).to_have_value(VENUE)  # the session's place is kept
    register_with_the_mouse(page, "Tomasz", "Nowak", course="using-email")
    expect(status).to_have_text("Tomasz Nowak is saved on this computer.")
    register_with_the_mouse(page, "Fatima", "Begum")
    expect(status).to_have_text("Fatima Begum is saved on this computer.")

    expect(queue_heading(page)).to_have_text("Saved on this computer: 10 records")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(10)
    expect(rows.filter(has_text="Waiting to send")).to_have_count(10)
    assert_accessible(page)

    page.get_by_role("button", name="Sync now").press("Enter")
    expect(status).to_have_text("No connection yet. The records are safe on this computer.")

    # Reloaded with no connection: the service worker serves the page, and the records are still there.
    response = page.reload()
    assert response is not None and response.from_service_worker, "the page came from the service worker's cache"
    expect(page.get_by_role("heading", level=1)).to_have_text("Outreach session")
    expect(queue_heading(page)).to_have_text("Saved on this computer: 10 records")
    expect(page.locator("#queue-rows tr").filter(has_text="Waiting to send")).to_have_count(10)
    expect(page.get_by_label("First name", exact=True)).to_be_editable()
    assert page.evaluate("[...document.styleSheets].some((sheet) => sheet.cssRules.length > 0)"), \
        "the stylesheet came from the cache too"
    assert_accessible(page)
    queued = queue_on_device(page)
    assert [r["type"] for r in queued] == [
        "create_learner", "record_attendance", "record_progress",
        "create_learner", "record_attendance", "enrol", "record_progress",
        "create_learner", "record_attendance", "record_progress"]
    assert {r["status"] for r in queued} == {"waiting"}
    assert {r["user_id"] for r in queued} == {user_id}
    assert len({r["op_id"] for r in queued}) == 10
    assert [r["label"] for r in queued if r["type"] == "create_learner"] == [
        "Aoife Brennan", "Tomasz Nowak", "Fatima Begum"]
    assert all(r["payload"]["venue"] == VENUE for r in queued if r["type"] == "record_attendance")
    assert all("pin" not in r["payload"] for r in queued)
    assert server_counts(app) == before, "nothing reached the server while it was offline"

    # The connection comes back: the page sends everything by itself.
    server.start()
    context.set_offline(False)
    expect(status).to_have_text("10 records sent.", timeout=30_000)
    expect(page.locator("#connection-status")).to_have_text("Connected. Records are sent straight away.")
    expect(queue_heading(page)).to_have_text("Saved on this computer: nothing waiting")
    expect(page.locator("#queue-table")).to_be_hidden()
    expect(page.locator("#sign-in-again")).to_be_hidden()
    sent = page.locator("#sent-list li")
    expect(sent).to_have_count(3)
    shown = [SENT_ITEM.match(text) for text in sent.all_inner_texts()]
    assert all(shown), sent.all_inner_texts()
    assert [m["name"] for m in shown] == ["Aoife Brennan", "Tomasz Nowak", "Fatima Begum"]
    for name in ("Aoife Brennan", "Tomasz Nowak", "Fatima Begum"):
        expect(page.get_by_role("link", name=f"Open {name}'s page")).to_have_attribute(
            "href", re.compile(r"^/staff/residents/[0-9a-f-]{36}$"))
    assert queue_on_device(page) == [], "the device's queue is empty once sent"
    assert_accessible(page)

    after = server_counts(app)
    assert after == {"learners": before["learners"] + 3, "attendances": before["attendances"] + 3,
                     "enrolments": before["enrolments"] + 3, "sync_operations": before["sync_operations"] + 10,
                     "assisted_lessons_done": before["assisted_lessons_done"] + 3}
    learners = learners_named(app, ["Aoife Brennan", "Tomasz Nowak", "Fatima Begum"])
    assert sorted(f"{u.learner_number[:4]}-{u.learner_number[4:]}" for u in learners) == \
        sorted(m["number"] for m in shown)

    # The same queue sent again changes nothing: every operation is replayed, and no PIN is shown again.
    again = page.evaluate(SYNC_AGAIN_JS, queued)
    assert again["status"] == 200, again
    results = again["body"]["results"]
    assert [r["op_id"] for r in results] == [r["op_id"] for r in queued]
    assert {r["status"] for r in results} == {"replayed"}, results
    assert not any("pin" in r for r in results)
    assert sorted(r["learner_number"] for r in results if "learner_number" in r) == sorted(m["number"] for m in shown)
    assert server_counts(app) == after

    # No PIN was made in the batch: one button posts the three to the PIN page, which shows each PIN once.
    page.get_by_role("button", name="Make PINs and print login cards for 3 residents").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PINs for login cards")
    cells = page.locator("tbody tr td.code")
    expect(cells).to_have_count(6)
    numbers_and_pins = cells.all_inner_texts()
    assert sorted(numbers_and_pins[0::2]) == sorted(m["number"] for m in shown)
    assert all(re.fullmatch(r"\d{6}", pin) for pin in numbers_and_pins[1::2])
    expect(page.get_by_role("button", name=re.compile(r"^Print card for "))).to_have_count(3)
    assert_accessible(page)
    assert all(u.pin_hash for u in learners_named(app, ["Aoife Brennan", "Tomasz Nowak", "Fatima Begum"]))
    page.go_back()

    page.reload()  # and the page, online again, has nothing left to send
    expect(queue_heading(page)).to_have_text("Saved on this computer: nothing waiting")
    assert queue_on_device(page) == []
    assert server_counts(app) == after


def test_a_record_saved_after_the_session_ended_waits_until_staff_sign_in_again(app, server, context, staff_page):
    page = staff_page
    open_outreach_page(page)
    wait_until_the_service_worker_controls(page)
    before = server_counts(app)
    with app.app_context():  # the staff member signs out on another computer: this session ends too
        sessions.end_everywhere(db.session.scalar(select(User).where(User.email == STAFF)))
        db.session.commit()

    register_with_the_mouse(page, "Ewa", "Zielinska")
    sign_in_again = page.locator("#sign-in-again")
    expect(sign_in_again).to_be_visible()
    expect(sign_in_again).to_contain_text("They stay saved on this computer.")
    expect(queue_heading(page)).to_have_text("Saved on this computer: 3 records")
    assert [r["status"] for r in queue_on_device(page)] == ["waiting"] * 3
    assert server_counts(app) == before
    assert_accessible(page)

    sign_in_again.get_by_role("link", name="Sign in again").click()
    page.get_by_label("Email address", exact=True).fill(STAFF)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in with email").click()
    expect(page).to_have_url(re.compile(re.escape(OUTREACH) + "$"))
    expect(queue_status(page)).to_have_text("3 records sent.", timeout=30_000)
    expect(page.locator("#sent-list li")).to_have_count(1)
    expect(page.locator("#sent-list li")).to_contain_text("Ewa Zielinska: learner number")
    assert queue_on_device(page) == []
    assert server_counts(app)["learners"] == before["learners"] + 1


def test_without_javascript_the_page_is_the_ordinary_registration_form(app, browser, live_server, demo):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, STAFF)
        before = server_counts(app)
        page.goto(OUTREACH)
        expect(page.get_by_role("heading", level=1)).to_have_text("Outreach session")
        # Playwright's text matching skips <noscript>, so read its markup.
        assert "this is the ordinary online form: it needs the internet" in page.locator("noscript").inner_html()
        expect(page.get_by_role("button", name="Sync now")).to_be_hidden()
        expect(page.get_by_label("Where", exact=True)).to_be_hidden()  # the session fields need the script
        form = page.locator("#outreach-form")
        expect(form).to_have_attribute("action", "/staff/residents/new")
        expect(form).to_have_attribute("method", "post")

        page.get_by_label("First name", exact=True).fill("Grace")
        page.get_by_label("Last name", exact=True).fill("Okafor")
        page.get_by_label("In person, today").check()
        page.get_by_role("button", name="Register", exact=True).click()

        expect(page).to_have_url(re.compile(r"/staff/residents/new$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Grace Okafor is registered")
        number = page.locator(".summary-list div").filter(has=page.locator("dt", has_text="Learner number"))
        expect(number.locator("dd")).to_have_text(re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$"))
        pin = page.locator(".summary-list div").filter(has=page.locator("dt", has_text="PIN"))
        expect(pin.locator("dd")).to_have_text(re.compile(r"^\d{6}$"))
        assert server_counts(app)["learners"] == before["learners"] + 1
        [grace] = learners_named(app, ["Grace Okafor"])
        assert f"{grace.learner_number[:4]}-{grace.learner_number[4:]}" == number.locator("dd").inner_text()
    finally:
        context.close()


def test_a_registration_the_server_refuses_goes_back_into_the_form_to_be_fixed(app, server, context, staff_page):
    page = staff_page
    open_outreach_page(page)
    before = server_counts(app)
    page.get_by_label("Postcode (optional)").fill("M13")  # the first half only: the server wants a full postcode
    register_with_the_mouse(page, "Nguyễn", "Văn An")
    expect(queue_status(page)).to_contain_text("need attention", timeout=20_000)
    expect(page.get_by_role("cell", name=re.compile("Waits for the registration above"))).to_have_count(2)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^Fix")).click()
    expect(page.get_by_label("First name", exact=True)).to_have_value("Nguyễn")
    expect(page.get_by_label("Where", exact=True)).to_have_value(VENUE)
    expect(page.locator(".error-summary")).to_contain_text("Correct Nguyễn Văn An's details")
    assert queue_on_device(page) == []
    page.get_by_label("Postcode (optional)").fill("M13 9PL")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(queue_status(page)).to_contain_text("3 records sent.", timeout=20_000)
    assert server_counts(app)["learners"] == before["learners"] + 1


def test_the_full_name_and_a_date_of_birth_in_three_boxes_are_saved_offline_and_sent(app, server, context,
                                                                                    staff_page):
    page = staff_page
    open_outreach_page(page)
    page.get_by_label("Full name, as you write it (optional)").fill("Nguyễn Thị Hương")
    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("1985")
    register_with_the_mouse(page, "Hương", "Nguyễn")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter a real date of birth, for example 27 3 1985.")
    assert queue_on_device(page) == [], "nothing is saved until the date is real"
    expect(page.get_by_label("Year", exact=True)).to_have_value("1985")
    page.get_by_label("Day", exact=True).fill("27")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_role("button", name="Register", exact=True).click()
    expect(queue_status(page)).to_contain_text("records sent.", timeout=20_000)
    [made] = learners_named(app, ["Hương Nguyễn"])
    assert made.display_name == "Nguyễn Thị Hương" and made.date_of_birth.isoformat() == "1985-03-27"


def test_a_refused_record_goes_back_with_its_full_name_and_date_of_birth_in_the_boxes(app, server, context,
                                                                                    staff_page):
    page = staff_page
    open_outreach_page(page)
    page.get_by_label("Postcode (optional)").fill("M13")  # refused by the server
    page.get_by_label("Full name, as you write it (optional)").fill("Nguyễn Thị Hương")
    page.get_by_label("Day", exact=True).fill("7")
    page.get_by_label("Month", exact=True).fill("11")
    page.get_by_label("Year", exact=True).fill("1979")
    register_with_the_mouse(page, "Thị Hương", "Nguyễn")
    expect(queue_status(page)).to_contain_text("need attention", timeout=20_000)
    page.get_by_role("button", name=re.compile(r"^Fix")).click()
    expect(page.get_by_label("Full name, as you write it (optional)")).to_have_value("Nguyễn Thị Hương")
    expect(page.get_by_label("Day", exact=True)).to_have_value("7")
    expect(page.get_by_label("Month", exact=True)).to_have_value("11")
    expect(page.get_by_label("Year", exact=True)).to_have_value("1979")


def test_a_chinese_name_saved_offline_is_shown_family_name_first(app, server, context, staff_page):
    """With no full name typed, the page names 王秀英 as the server will (family name first, no space)."""
    page = staff_page
    open_outreach_page(page)
    wait_until_the_service_worker_controls(page)
    server.stop()
    context.set_offline(True)
    register_with_the_mouse(page, "秀英", "王")
    expect(queue_status(page)).to_have_text("王秀英 is saved on this computer.")
    register_with_the_mouse(page, "Hương", "Nguyễn")
    expect(queue_status(page)).to_have_text("Hương Nguyễn is saved on this computer.")
