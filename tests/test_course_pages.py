"""Course pages: catalogue with filters, course, lesson with previous/next, the knowledge-check form."""

import re

import pytest

from tests.conftest import csrf_token_from


def h1_count(html: str) -> int:
    return len(re.findall(r"<h1[\s>]", html))


def choices_in_order(html: str) -> dict[str, list[str]]:
    """Each question's choices (their ids), in the order the check form shows them."""
    shown: dict[str, list[str]] = {}
    for question, choice in re.findall(r'type="radio" name="answer-([^"]+)" value="([^"]+)"', html):
        shown.setdefault(question, []).append(choice)
    return shown


def checked_choices(html: str) -> dict[str, str]:
    return dict(re.findall(r'type="radio" name="answer-([^"]+)" value="([^"]+)"[^>]*\schecked', html))


def hidden_order(html: str) -> str:
    match = re.search(r'name="order" value="([^"]*)"', html)
    assert match, "the check form carries the order of its choices"
    return match.group(1)


@pytest.mark.usefixtures("catalogue")
class TestPages:
    def test_home_and_catalogue_list_published_courses(self, client):
        home = client.get("/")
        assert home.status_code == 200 and h1_count(home.text) == 1
        page = client.get("/courses")
        assert page.status_code == 200 and h1_count(page.text) == 1
        assert "Using email" in page.text and 'href="/courses/using-email"' in page.text

    def test_catalogue_filters_by_skill_area_and_level(self, client):
        safe = client.get("/courses?area=being-safe-online").text
        assert "Staying safe online" in safe and "Video calls" not in safe
        work = client.get("/courses?level=work").text
        assert "Finding and applying for jobs online" in work and "Using email" not in work

    def test_a_bad_filter_value_gets_an_error_summary_not_a_crash(self, client):
        page = client.get("/courses?level=expert")
        assert page.status_code == 200
        assert "There is a problem" in page.text and 'href="#level"' in page.text
        assert "<title>Error: " in page.text

    def test_course_page_shows_outcomes_time_and_lessons(self, client):
        page = client.get("/courses/using-email")
        assert page.status_code == 200 and h1_count(page.text) == 1
        assert "What you will learn" in page.text and "I can" in page.text
        assert "minutes" in page.text
        assert 'href="/courses/using-email/lessons/what-email-is"' in page.text

    def test_lesson_page_has_previous_and_next(self, client):
        first = client.get("/courses/using-email/lessons/what-email-is")
        assert first.status_code == 200 and h1_count(first.text) == 1
        assert "Lesson 1 of 6" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
        second = client.get("/courses/using-email/lessons/getting-an-account")
        assert 'rel="prev"' in second.text and 'rel="next"' in second.text
        last = client.get("/courses/using-email/lessons/spotting-scam-emails")
        assert 'rel="next"' not in last.text and "/courses/using-email/check" in last.text

    def test_unknown_course_and_lesson_are_404_pages(self, client):
        assert client.get("/courses/no-such-course").status_code == 404
        response = client.get("/courses/using-email/lessons/no-such-lesson")
        assert response.status_code == 404 and h1_count(response.text) == 1

    def test_the_check_form_never_shows_answers_or_feedback(self, client, app):
        page = client.get("/courses/using-email/check")
        assert page.status_code == 200
        with app.app_context():
            from skills_hub.courses.services import get_course

            check = get_course("using-email").knowledge_check
        for question in check["questions"]:
            assert f'name="answer-{question["id"]}"' in page.text
            for choice in question["choices"]:
                assert choice["feedback"] not in page.text

    def test_the_check_form_scores_on_the_server_with_feedback(self, client, app):
        with app.app_context():
            from skills_hub.courses.services import get_course

            check = get_course("using-email").knowledge_check
        token = csrf_token_from(client.get("/courses/using-email/check").text)
        right = {f"answer-{q['id']}": next(c["id"] for c in q["choices"] if c["correct"]) for q in check["questions"]}
        result = client.post("/courses/using-email/check", data={"csrf_token": token, **right})
        assert result.status_code == 200
        assert f"You got {len(check['questions'])} out of {len(check['questions'])} right (100%)" in result.text
        assert "you passed" in result.text

    def test_unanswered_questions_are_listed_and_linked(self, client):
        token = csrf_token_from(client.get("/courses/using-email/check").text)
        result = client.post("/courses/using-email/check", data={"csrf_token": token})
        assert result.status_code == 422
        assert "There is a problem" in result.text
        assert re.search(r'href="#answer-[a-z0-9-]+">Choose an answer for question 1\.', result.text)

    def test_after_a_missing_answer_the_choices_come_back_in_the_same_order_with_the_chosen_ones_kept(self, client):
        form = client.get("/courses/using-email/check").text
        shown = choices_in_order(form)
        first_question, first_choices = next(iter(shown.items()))
        chosen = first_choices[-1]
        again = client.post("/courses/using-email/check", data={
            "csrf_token": csrf_token_from(form), "order": hidden_order(form), f"answer-{first_question}": chosen})
        assert again.status_code == 422 and "Choose an answer for question 2." in again.text
        assert choices_in_order(again.text) == shown
        assert checked_choices(again.text) == {first_question: chosen}
        assert hidden_order(again.text) == hidden_order(form), "a second error keeps the order too"

    def test_each_attempt_at_the_check_gets_its_own_order_of_choices(self, client):
        orders = {hidden_order(client.get("/courses/using-email/check").text) for _ in range(5)}
        assert len(orders) > 1

    def test_a_lost_or_changed_order_gives_a_new_order_not_an_error(self, client):
        form = client.get("/courses/using-email/check").text
        for order in ("", "nonsense", "-1", "²", str(2**40)):
            again = client.post("/courses/using-email/check", data={"csrf_token": csrf_token_from(form),
                                                                     "order": order})
            assert again.status_code == 422 and "Choose an answer for question 1." in again.text
            assert hidden_order(again.text).isdigit()

    def test_the_check_form_needs_a_csrf_token(self, client):
        assert client.post("/courses/using-email/check", data={}).status_code == 400


def test_raw_html_in_a_lesson_is_shown_as_text_and_external_links_are_marked(app, client, tmp_path):
    from skills_hub.markdown import render

    html = render("Hello <script>alert(1)</script> [NHS](https://www.nhs.uk) and [next](/courses)", "/img/")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="external"' in html and "(another website)</a>" in html
    assert '<a href="/courses">next</a>' in html


def test_a_page_without_images_weighs_under_60_kb(client, catalogue):
    with client.get("/static/site.css") as response:
        css = response.data
    for path in ["/", "/courses", "/courses/using-email", "/courses/using-email/lessons/attachments",
                 "/courses/using-email/check", "/sign-in", "/accessibility"]:
        page = client.get(path)
        assert page.status_code == 200
        assert len(page.data) + len(css) < 60 * 1024, path


def test_catalogue_and_course_pages_run_a_fixed_number_of_queries(app, client, tmp_path, count_queries):
    from skills_hub.courses import services
    from skills_hub.extensions import db
    from tests.course_files import write_course

    def queries_for(path: str) -> int:
        before = len(count_queries())
        assert client.get(path).status_code == 200
        return len(count_queries()) - before

    write_course(tmp_path, "one", lessons=1)
    with app.app_context():
        services.sync_catalogue(tmp_path)
        db.session.commit()
    few = (queries_for("/courses"), queries_for("/courses/one"), queries_for("/api/v1/courses"))
    for n in range(2, 6):
        write_course(tmp_path, f"course-{n}", lessons=8)
    write_course(tmp_path, "one", lessons=8)
    with app.app_context():
        services.sync_catalogue(tmp_path)
        db.session.commit()
    many = (queries_for("/courses"), queries_for("/courses/one"), queries_for("/api/v1/courses"))
    assert few == many, (few, many)


def test_staff_on_a_course_page_are_not_asked_to_sign_in(client, catalogue, login_as, make_user):
    from skills_hub.accounts.models import Role

    anonymous = client.get("/courses/getting-started").get_data(as_text=True)
    assert "to save your progress" in anonymous
    login_as(make_user(Role.STAFF))
    page = client.get("/courses/getting-started").get_data(as_text=True)
    assert "to save your progress" not in page and "You are signed in as staff" in page


def test_a_shared_link_with_tracking_added_still_opens_the_course_list(client, catalogue):
    page = client.get("/courses?utm_source=whatsapp&fbclid=abc&level=foundation")
    assert page.status_code == 200 and "There is a problem" not in page.get_data(as_text=True)
    assert client.get("/api/v1/courses?utm_source=x").status_code == 422  # the API still says what is wrong
