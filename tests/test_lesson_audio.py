"""Lessons read aloud on the server: what is read, the job that makes Ogg Opus with espeak-ng, byte ranges, a
new reading when the words change (the old one no longer served), and which pages offer which way to listen."""

from __future__ import annotations

import re
import shutil

import pytest

from skills_hub import storage
from skills_hub.accounts.models import Role
from skills_hub.courses import audio, services
from skills_hub.extensions import db
from tests.conftest import require
from tests.course_files import write_course

LESSON = """## What you will do

You will send an email. Read [the help page](https://example.com/help) first.

![A phone with the Mail app circled](images/mail.png)

## Steps

1. Tap **Write**.
2. Type `hello@example.com` in the *To* box.
"""


def test_what_is_read_is_the_words_in_order_without_link_targets_image_names_or_markup():
    said = audio.spoken(LESSON)
    assert said.blocks == (("What you will do",), ("You will send an email.", "Read the help page first."),
                           ("Steps",), ("Tap Write.",), ("Type hello@example.com in the To box.",))
    assert "example.com/help" not in said.text and "mail.png" not in said.text and "**" not in said.text


def test_only_languages_espeak_speaks_well_get_server_audio():
    assert audio.speaks("en") and audio.speaks("ur") and audio.speaks("pl")
    assert not audio.speaks("ar") and not audio.speaks("zh-Hans")


def need_the_tools() -> None:
    require(not audio.tools_missing(), "espeak-ng and opusenc",
            "install Debian's espeak-ng and opus-tools (apt install espeak-ng opus-tools)")


@pytest.fixture
def spoken_course(app, tmp_path):
    folder = write_course(tmp_path, "spoken", lessons=1)
    with app.app_context():
        services.sync_catalogue(tmp_path)
        db.session.commit()
    return folder


def make_audio(app) -> int:
    with app.app_context():
        queued = audio.queue_missing_audio()
        db.session.commit()
    from skills_hub.jobs.models import Job
    with app.app_context():
        for job in db.session.query(Job).filter_by(kind=audio.JOB).all():
            audio.make_lesson_audio(dict(job.payload))
            db.session.delete(job)
        db.session.commit()
    return queued


def test_a_lesson_is_read_into_small_ogg_opus_served_with_byte_ranges(app, client, spoken_course):
    need_the_tools()
    assert make_audio(app) == 5  # the lesson and the quiz in its 4 orders, in English only: no translations
    page = client.get("/courses/spoken/lessons/lesson-1").get_data(as_text=True)
    assert '<audio controls preload="none" src="/courses/spoken/lessons/lesson-1/audio/en.opus"' in page
    whole = client.get("/courses/spoken/lessons/lesson-1/audio/en.opus")
    assert whole.status_code == 200 and whole.mimetype == "audio/ogg" and whole.data[:4] == b"OggS"
    assert b"OpusHead" in whole.data[:100] and whole.headers["Accept-Ranges"] == "bytes"
    seconds = _seconds(whole.data)
    assert 20 < seconds < 180, seconds  # the whole lesson, a sentence at a time
    assert len(whole.data) / seconds < 3500  # about 16 kbit/s: a couple of KB a second
    part = client.get("/courses/spoken/lessons/lesson-1/audio/en.opus", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.data)}"


def test_changing_the_words_makes_a_new_reading_and_the_old_one_is_not_served(app, client, spoken_course, tmp_path):
    need_the_tools()
    make_audio(app)
    before = client.get("/courses/spoken/lessons/lesson-1/audio/en.opus").data
    lesson = spoken_course / "lessons" / "01-lesson-1.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("Open the app.", "Open the new app."),
                      encoding="utf-8")
    with app.app_context():
        services.sync_catalogue(tmp_path)
        db.session.commit()
    assert client.get("/courses/spoken/lessons/lesson-1/audio/en.opus").status_code == 404  # not the old words
    page = client.get("/courses/spoken/lessons/lesson-1").get_data(as_text=True)
    assert "<audio" not in page and "in its own voice" in page
    assert make_audio(app) == 1  # the lesson again; the quiz did not change
    after = client.get("/courses/spoken/lessons/lesson-1/audio/en.opus")
    assert after.status_code == 200 and after.data != before


def test_a_page_in_arabic_offers_the_browsers_voice_not_a_broken_player(app, client, catalogue):
    page = client.get("/courses/using-email/lessons/what-email-is", headers={"Accept-Language": "ar"})
    text = page.get_data(as_text=True)
    assert "<audio" not in text and 'data-listen-lang="ar"' in text and "listen-fallback" in text


def test_the_audio_command_and_admin_page_say_what_is_ready_waiting_or_failed(app, client, spoken_course,
                                                                              make_user, login_as):
    with app.app_context():
        audio.queue_missing_audio()
        db.session.commit()
    app.config["CONTENT_DIR"], before = spoken_course.parent, app.config["CONTENT_DIR"]
    try:
        output = app.test_cli_runner().invoke(args=["courses", "audio"]).output
    finally:
        app.config["CONTENT_DIR"] = before
    if audio.tools_missing():
        assert "No server audio here" in output
    else:
        assert "spoken:\n  en: 0 of 1 ready, 1 waiting" in output
    login_as(make_user(Role.ADMIN))
    assert "Lessons read aloud" in client.get("/admin/audio").get_data(as_text=True)


def test_without_the_tools_nothing_is_queued_and_they_are_named(app, spoken_course, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda command: None)
    with app.app_context():
        assert audio.queue_missing_audio() == 0
    assert audio.tools_missing() == ["espeak-ng", "opus-tools"]


def _seconds(ogg: bytes) -> float:
    """The length of an Ogg Opus file: the last page's granule position, at 48 kHz, less the pre-skip."""
    last = ogg.rfind(b"OggS")
    granule = int.from_bytes(ogg[last + 6:last + 14], "little")
    pre_skip = int.from_bytes(ogg[ogg.find(b"OpusHead") + 10:ogg.find(b"OpusHead") + 12], "little")
    return (granule - pre_skip) / 48000


def test_stored_audio_is_kept_by_the_hash_of_its_words(app, spoken_course):
    need_the_tools()
    make_audio(app)
    with app.app_context():
        lesson = services.get_course("spoken").current_lessons[0]
        key = audio.ready_key(lesson, "en")
        assert key == audio.audio_key(audio.said_for(lesson, "en"), "en") and storage.sha256_of(key)


def test_the_quiz_and_the_skills_check_are_read_aloud_too(app, client, spoken_course, make_user, login_as):
    need_the_tools()
    make_audio(app)  # the lesson and the quiz
    quiz = client.get("/courses/spoken/check").get_data(as_text=True)
    order = re.search(r'name="order" value="(\d+)"', quiz).group(1)
    assert f'src="/courses/spoken/check/audio/{order}/en.opus"' in quiz  # read in the order shown
    reading = client.get(f"/courses/spoken/check/audio/{order}/en.opus")
    assert reading.status_code == 200 and reading.data[:4] == b"OggS" and _seconds(reading.data) > 3
    first_choice = re.search(r'name="answer-q1" value="(\w)"', quiz).group(1)
    with app.app_context():
        course = services.get_course("spoken")
        said = audio.check_said(services.in_language(course, "en"), int(order))
        choice_text = {"a": "The right one", "b": "The wrong one"}[first_choice]
        assert said.blocks[1] == (choice_text,)  # the first choice heard is the first choice shown
    login_as(make_user(Role.LEARNER))
    first = client.get("/skills-check").get_data(as_text=True)  # the first visit asks for the reading
    assert "<audio" not in first
    from skills_hub.jobs.models import Job
    from skills_hub.learning import skills
    with app.app_context():
        [job] = db.session.query(Job).filter_by(kind=skills.SKILLS_AUDIO_JOB).all()
        skills.make_skills_check_audio(dict(job.payload))
        db.session.commit()
    assert 'src="/skills-check/audio/en.opus"' in client.get("/skills-check").get_data(as_text=True)
    assert client.get("/skills-check/audio/en.opus", headers={"Range": "bytes=0-9"}).status_code == 206
