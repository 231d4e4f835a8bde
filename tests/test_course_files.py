"""`flask courses validate`: every problem named by file, field and fix; nothing wrong passes."""

import pytest
import yaml

from skills_hub.courses.files import read_catalogue
from tests.course_files import write_course


def problems_in(root):
    return [str(p) for p in read_catalogue(root)[1]]


def test_a_good_course_reads_with_its_lessons_in_order(tmp_path):
    write_course(tmp_path, "good", lessons=3)
    courses, problems = read_catalogue(tmp_path)
    assert problems == []
    assert [lesson.slug for lesson in courses[0].lessons] == ["lesson-1", "lesson-2", "lesson-3"]
    assert [lesson.position for lesson in courses[0].lessons] == [1, 2, 3]


def test_a_missing_lesson_file_is_named_with_its_index(tmp_path):
    folder = write_course(tmp_path, "using-email", lessons=3)
    (folder / "lessons/03-lesson-3.md").unlink()
    assert problems_in(tmp_path) == [f"{folder}/course.yaml: lessons[2]: lessons/03-lesson-3.md does not exist"]


@pytest.mark.parametrize(("override", "where", "says"), [
    ({"level": "expert"}, "level", "Must be one of: foundation, life, work."),
    ({"eds_areas": ["cooking"]}, "eds_areas[0]", "Must be one of:"),
    ({"minutes": "sixty"}, "minutes", "Not a valid integer."),
    ({"slug": "Other Slug"}, "slug", "lowercase"),
    ({"outcomes": ["You will learn things"]}, "outcomes[0]", 'Start each outcome with "I can"'),
    ({"colour": "blue"}, "colour", "Unknown field."),
    ({"check": {"pass_mark": 150, "questions": []}}, "check.pass_mark", "percentage"),
])
def test_bad_fields_are_named_with_a_fix(tmp_path, override, where, says):
    write_course(tmp_path, "bad", **override)
    problems = problems_in(tmp_path)
    assert any(f"course.yaml: {where}: " in p and says in p for p in problems), problems


def test_a_required_field_left_out_is_reported(tmp_path):
    folder = write_course(tmp_path, "bad")
    data = yaml.safe_load((folder / "course.yaml").read_text())
    del data["title"]
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    assert any("course.yaml: title: This is required." in p for p in problems_in(tmp_path))


def test_questions_need_exactly_one_correct_choice_and_feedback_on_every_choice(tmp_path):
    write_course(tmp_path, "bad", check={"pass_mark": 70, "questions": [
        {"id": "q1", "text": "?", "choices": [
            {"id": "a", "text": "A", "correct": True, "feedback": "Yes."},
            {"id": "b", "text": "B", "correct": True, "feedback": "Also yes?"}]},
        {"id": "q2", "text": "?", "choices": [
            {"id": "a", "text": "A", "correct": True},
            {"id": "b", "text": "B", "feedback": "No."}]},
    ]})
    problems = problems_in(tmp_path)
    assert any("check.questions[0].choices: Mark exactly one choice" in p for p in problems), problems
    assert any("check.questions[1].choices[0].feedback: This is required." in p for p in problems), problems


def test_the_slug_must_match_the_folder(tmp_path):
    write_course(tmp_path, "using-email", slug="email")
    assert any("slug: is 'email' but the folder is 'using-email'" in p for p in problems_in(tmp_path))


def test_lesson_numbers_must_follow_their_position(tmp_path):
    folder = write_course(tmp_path, "c", lessons=2)
    (folder / "lessons/02-lesson-2.md").rename(folder / "lessons/05-lesson-2.md")
    data = yaml.safe_load((folder / "course.yaml").read_text())
    data["lessons"][1]["file"] = "lessons/05-lesson-2.md"
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    assert any("lessons[1]: lessons/05-lesson-2.md is lesson 2: name it lessons/02-lesson-2.md" in p
               for p in problems_in(tmp_path))


def test_a_lesson_file_not_listed_is_reported(tmp_path):
    folder = write_course(tmp_path, "c", lessons=2)
    (folder / "lessons/03-forgotten.md").write_text("## Hello\n")
    assert any("03-forgotten.md: is not listed under lessons" in p for p in problems_in(tmp_path))


@pytest.mark.parametrize(("body", "says"), [
    ("<script>alert(1)</script>\n\n", "raw HTML"),
    ("# A title\n\n", "use `##`"),
    ("![](images/phone.png)\n\n", "has no alt text"),
    ("![A phone](images/missing.png)\n\n", "images/missing.png does not exist"),
])
def test_lesson_problems_are_reported(tmp_path, body, says):
    folder = write_course(tmp_path, "c", lessons=1)
    lesson = folder / "lessons/01-lesson-1.md"
    lesson.write_text(body + lesson.read_text())
    assert any(says in p for p in problems_in(tmp_path)), problems_in(tmp_path)


def test_long_sentences_are_reported(tmp_path):
    folder = write_course(tmp_path, "c", lessons=1)
    (folder / "lessons/01-lesson-1.md").write_text(
        "This sentence goes on and on and on and on and on and on and on without any stop at all for a very long "
        "time indeed until the reader is lost. " * 6)
    assert any("sentences average 32.0 words" in p for p in problems_in(tmp_path)), problems_in(tmp_path)


def test_too_long_and_too_short_lessons_are_reported(tmp_path):
    folder = write_course(tmp_path, "c", lessons=2)
    (folder / "lessons/01-lesson-1.md").write_text("## Steps\n\nOpen the app. " * 200)
    (folder / "lessons/02-lesson-2.md").write_text("## Steps\n\nOpen the app.\n")
    problems = problems_in(tmp_path)
    assert any("01-lesson-1.md: has 800 words: keep a lesson to 400 or fewer" in p for p in problems), problems
    assert any("02-lesson-2.md: has 4 words: a lesson needs at least 150" in p for p in problems), problems


def test_broken_yaml_names_the_line(tmp_path):
    folder = write_course(tmp_path, "c")
    (folder / "course.yaml").write_text("slug: c\ntitle: [unclosed\n")
    assert any("course.yaml: line" in p and "is not valid YAML" in p for p in problems_in(tmp_path))


def test_a_windows_1252_file_is_reported_not_crashed_on(tmp_path):
    folder = write_course(tmp_path, "c")
    (folder / "course.yaml").write_bytes("title: Caf\xe9 skills\n".encode("cp1252"))
    assert any("is not UTF-8 text: save it as UTF-8" in p for p in problems_in(tmp_path))


def test_an_empty_course_file_is_reported(tmp_path):
    folder = write_course(tmp_path, "c")
    (folder / "course.yaml").write_text("")
    assert any("must be a mapping of fields" in p for p in problems_in(tmp_path))


def test_one_bad_course_does_not_hide_the_good_ones(tmp_path):
    write_course(tmp_path, "good")
    write_course(tmp_path, "bad", level="expert")
    courses, problems = read_catalogue(tmp_path)
    assert [c.slug for c in courses] == ["good"]
    assert len(problems) == 1


def test_a_picture_that_is_too_heavy_unsafe_or_has_words_in_it_fails_validation(tmp_path):
    from skills_hub.courses import pictures

    heavy = tmp_path / "heavy.svg"
    heavy.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">' + "<rect/>" * 3000 + "</svg>")
    unsafe = tmp_path / "unsafe.svg"
    unsafe.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)">'
                      '<script>alert(1)</script><text>Tap</text><use href="https://evil.example/x.svg#a"/></svg>')
    fine = tmp_path / "fine.svg"
    fine.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect id="a"/><use href="#a"/></svg>')
    assert any("bytes: keep a picture under" in problem for problem in pictures.problems(heavy))
    said = " ".join(pictures.problems(unsafe))
    assert "<script>" in said and "<text>" in said and "onload" in said and "evil.example" in said
    assert pictures.problems(fine) == []
