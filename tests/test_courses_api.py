"""GET /api/v1/courses and /api/v1/courses/{slug}, and the OpenAPI document."""

import pytest


@pytest.mark.usefixtures("catalogue")
class TestCoursesApi:
    def test_list_has_the_contract_fields_and_paging(self, client):
        body = client.get("/api/v1/courses").get_json()
        assert set(body) == {"items", "page", "per_page", "total"}
        assert body["total"] >= 2 and body["page"] == 1 and body["per_page"] == 50
        item = next(i for i in body["items"] if i["slug"] == "using-email")
        assert {"slug", "title", "summary", "eds_areas", "level", "lesson_count", "minutes"} <= set(item)
        assert item["lesson_count"] == 6

    def test_list_pages_and_filters(self, client):
        body = client.get("/api/v1/courses?per_page=1&page=2").get_json()
        assert len(body["items"]) == 1 and body["page"] == 2
        work = client.get("/api/v1/courses?level=work").get_json()["items"]
        assert work and all(i["level"] == "work" for i in work)

    @pytest.mark.parametrize("query", ["?colour=blue", "?per_page=500", "?page=0", "?level=expert", "?page=two"])
    def test_unknown_parameters_and_bad_values_are_422_problems(self, client, query):
        response = client.get(f"/api/v1/courses{query}")
        assert response.status_code == 422
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["status"] == 422 and body["errors"]

    def test_one_course_has_lessons_and_a_check_without_answers(self, client):
        response = client.get("/api/v1/courses/using-email")
        assert response.status_code == 200
        body = response.get_json()
        assert [lesson["position"] for lesson in body["lessons"]] == list(range(1, len(body["lessons"]) + 1))
        assert {"slug", "title", "position", "minutes"} <= set(body["lessons"][0])
        check = body["knowledge_check"]
        assert 0 < check["pass_mark"] <= 100
        choice = check["questions"][0]["choices"][0]
        assert set(choice) == {"id", "text"}, "never the answer or the feedback"
        assert "correct" not in response.text and "feedback" not in response.text

    def test_unknown_slug_is_a_404_problem(self, client):
        response = client.get("/api/v1/courses/no-such-course")
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
        assert response.get_json()["detail"] == "There is no course called 'no-such-course'."

    def test_unknown_api_path_and_wrong_method_are_problems(self, client):
        assert client.get("/api/v1/nothing-here").mimetype == "application/problem+json"
        response = client.delete("/api/v1/courses")
        assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_openapi_document_describes_the_endpoints_from_the_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/courses" in spec["paths"] and "/api/v1/courses/{slug}" in spec["paths"]
    listing = spec["paths"]["/api/v1/courses"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"page", "per_page", "area", "level"} <= names
    assert "422" in listing["responses"]
    schemas = spec["components"]["schemas"]
    assert "CourseOut" in schemas and "knowledge_check" in schemas["CourseOut"]["properties"]


def test_openapi_document_describes_the_account_endpoints_with_bearer_security(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    learners = spec["paths"]["/api/v1/learners"]
    assert {"get", "post"} <= learners.keys()
    assert {"get", "patch"} <= spec["paths"]["/api/v1/learners/{learner_id}"].keys()
    assert "409" in learners["post"]["responses"] and learners["post"]["security"] == [{"bearerToken": []}]
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"
    params = spec["paths"]["/api/v1/learners/{learner_id}"]["get"]["parameters"]
    assert {"in": "path", "name": "learner_id", "required": True, "schema": {"type": "string"}} in params
    assert "otp" in spec["components"]["schemas"]["TokenRequest"]["properties"]
