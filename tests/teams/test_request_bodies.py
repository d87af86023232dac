"""Form and multipart bodies on the instance and SSO-test endpoints: parsed, or a documented 4xx."""

import pytest
from rest_framework.test import APIClient

from accounts.models import InstanceSettings


@pytest.fixture
def admin_api(owner):
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    api = APIClient()  # a session without the CSRF dance: the body handling is under test
    api.force_login(owner)
    return api


def test_instance_settings_take_a_multipart_body(admin_api):
    response = admin_api.patch("/api/v1/instance/", {"signup_open": "false"}, format="multipart")
    assert response.status_code == 200 and response.json() == {"signup_open": False}
    assert InstanceSettings.load().signup_open is False


def test_a_form_without_the_field_is_refused_and_changes_nothing(admin_api):
    before = InstanceSettings.load().signup_open
    response = admin_api.patch("/api/v1/instance/", {}, format="multipart")
    assert response.status_code == 400 and "signup_open" in response.json()["errors"]
    assert InstanceSettings.load().signup_open is before


@pytest.mark.parametrize("path, method", [("/api/v1/instance/", "patch"), ("/api/v1/teams/acme/sso/test/", "post")])
def test_an_unreadable_body_is_a_415_the_schema_documents(admin_api, team, path, method):
    response = getattr(admin_api, method)(path, "signup_open", content_type="text/plain")
    assert response.status_code == 415 and "text/plain" in response.json()["detail"]
    schema = admin_api.get("/api/schema/?format=json").json()
    template = path.replace("/acme/", "/{team}/")
    assert "415" in schema["paths"][template][method]["responses"]
