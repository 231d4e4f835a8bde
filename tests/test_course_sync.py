"""`flask courses sync`: idempotent, hashes lessons, retires (never deletes) what the files no longer hold."""

import shutil

import pytest
from sqlalchemy import func, select

from skills_hub.courses import services
from skills_hub.courses.models import Course, Lesson
from skills_hub.extensions import db
from tests.conftest import CONTENT_DIR
from tests.course_files import write_course


def sync(app, root):
    with app.app_context():
        report = services.sync_catalogue(root)
        db.session.commit()
        return report


def lessons_of(app, slug):
    with app.app_context():
        return {x.slug: (x.position, x.retired_at is not None, x.content_hash) for x in db.session.scalars(
            select(Lesson).join(Course).where(Course.slug == slug))}


def test_a_second_sync_changes_nothing(app, tmp_path):
    write_course(tmp_path, "one")
    write_course(tmp_path, "two")
    first = sync(app, tmp_path)
    assert sorted(first.created) == ["one", "two"]
    before = lessons_of(app, "one")
    second = sync(app, tmp_path)
    assert not second.changed and sorted(second.unchanged) == ["one", "two"]
    assert lessons_of(app, "one") == before


def test_each_lesson_has_a_content_hash_that_changes_with_its_text(app, tmp_path):
    folder = write_course(tmp_path, "one", lessons=2)
    sync(app, tmp_path)
    before = lessons_of(app, "one")
    lesson = folder / "lessons/02-lesson-2.md"
    lesson.write_text(lesson.read_text() + "\nOne more sentence.\n")
    report = sync(app, tmp_path)
    after = lessons_of(app, "one")
    assert report.updated == ["one"]
    assert after["lesson-1"] == before["lesson-1"]
    assert after["lesson-2"][2] != before["lesson-2"][2]


def test_a_removed_lesson_is_retired_not_deleted(app, tmp_path):
    write_course(tmp_path, "one", lessons=3)
    sync(app, tmp_path)
    shutil.rmtree(tmp_path / "one")
    write_course(tmp_path, "one", lessons=2)
    sync(app, tmp_path)
    lessons = lessons_of(app, "one")
    assert lessons["lesson-3"][1] is True, "retired"
    assert not lessons["lesson-1"][1] and not lessons["lesson-2"][1]
    with app.app_context():
        assert db.session.scalar(select(Course.lesson_count).where(Course.slug == "one")) == 2


def test_a_removed_course_is_retired_and_hidden_and_comes_back_when_restored(app, client, tmp_path):
    write_course(tmp_path, "one")
    write_course(tmp_path, "two")
    sync(app, tmp_path)
    saved = tmp_path.parent / "saved-two"
    shutil.move(tmp_path / "two", saved)
    assert sync(app, tmp_path).retired == ["two"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 2, "never deleted"
    assert client.get("/courses/two").status_code == 404
    shutil.move(saved, tmp_path / "two")
    assert sync(app, tmp_path).updated == ["two"]
    assert client.get("/courses/two").status_code == 200


def test_sync_refuses_invalid_files_and_changes_nothing(app, tmp_path):
    write_course(tmp_path, "one")
    sync(app, tmp_path)
    write_course(tmp_path, "bad", level="expert")
    with app.app_context(), pytest.raises(services.CatalogueInvalid) as refused:
        services.sync_catalogue(tmp_path)
    assert "level" in str(refused.value.problems[0])


def test_the_cli_validates_and_syncs(app, tmp_path):
    write_course(tmp_path, "one")
    write_course(tmp_path, "two")
    app.config["CONTENT_DIR"] = tmp_path
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["courses", "validate"])
        assert result.exit_code == 0, result.output
        assert "All 2 courses (6 lessons) are valid." in result.output
        first = runner.invoke(args=["courses", "sync"])
        assert first.exit_code == 0 and "2 new" in first.output
        second = runner.invoke(args=["courses", "sync"])
        assert "0 new, 0 updated, 0 retired, 2 unchanged" in second.output
    finally:
        app.config["CONTENT_DIR"] = CONTENT_DIR


def test_the_cli_exits_non_zero_naming_the_file_field_and_fix(app, tmp_path):
    folder = write_course(tmp_path, "using-email", lessons=3)
    (folder / "lessons/03-lesson-3.md").unlink()
    app.config["CONTENT_DIR"] = tmp_path
    try:
        result = app.test_cli_runner().invoke(args=["courses", "validate"])
        synced = app.test_cli_runner().invoke(args=["courses", "sync"])
    finally:
        app.config["CONTENT_DIR"] = CONTENT_DIR
    assert result.exit_code == 1
    assert "using-email/course.yaml: lessons[2]: lessons/03-lesson-3.md does not exist" in result.output
    assert synced.exit_code == 1 and "Nothing was synced" in synced.output
