"""Settings (profile, night mode) and passwords (change, reset by email)."""

import re

import pytest
from django.core import mail

from accounts.models import User, UserSettings
from teams.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


def theme(response) -> str:
    return re.search(r'<html lang="en" data-theme="(\w+)"', response.content.decode()).group(1)


def test_night_mode_is_rendered_by_the_server_on_every_page(client, owner, team):
    client.force_login(owner)
    assert theme(client.get("/settings/")) == "light"
    response = client.post("/settings/", {"night_mode": "on"})
    assert response.status_code == 302
    for url in ("/settings/", "/", "/teams/acme/"):
        page = client.get(url)
        assert theme(page) == "dark", url
        assert '<meta name="color-scheme" content="dark">' in page.content.decode()
    client.post("/settings/", {})
    assert theme(client.get("/")) == "light"
    assert UserSettings.objects.get(user=owner).night_mode is False


def test_night_mode_is_per_user(client, owner, outsider):
    client.force_login(owner)
    client.post("/settings/", {"night_mode": "on"})
    client.force_login(outsider)
    assert theme(client.get("/")) == "light"


def test_profile_edit_saves_names(client, owner):
    client.force_login(owner)
    response = client.post("/settings/profile/", {"first_name": "Olivia", "last_name": "Okafor", "email": owner.email})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.first_name, owner.last_name) == ("Olivia", "Okafor")


def test_changing_email_needs_the_password_and_a_free_address(client, owner, outsider):
    client.force_login(owner)
    response = client.post("/settings/profile/", {"email": "new@example.com"})
    assert response.status_code == 400 and "current password" in response.content.decode()
    response = client.post("/settings/profile/", {"email": outsider.email, "current_password": PASSWORD})
    assert response.status_code == 400 and "already exists" in response.content.decode()
    response = client.post("/settings/profile/", {"email": "not-an-email", "current_password": PASSWORD})
    assert response.status_code == 400
    owner.refresh_from_db()
    assert owner.email == "olivia@example.com"
    response = client.post("/settings/profile/", {"email": "New@Example.com", "current_password": PASSWORD})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.email == "new@example.com"
    assert AuditEvent.objects.filter(action="user.email_changed", actor=owner).exists()


def test_password_change(client, owner):
    client.force_login(owner)
    bad = client.post(
        "/password/change/",
        {"old_password": "wrong", "new_password1": "a-new-secret-77", "new_password2": "a-new-secret-77"},
    )
    assert bad.status_code == 400 and "incorrectly" in bad.content.decode()
    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": "a-new-secret-77", "new_password2": "a-new-secret-77"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=owner.pk).check_password("a-new-secret-77")
    assert AuditEvent.objects.filter(action="user.password_changed", actor=owner).exists()


def test_password_reset_by_email(client, owner):
    response = client.post("/password/reset/", {"email": owner.email})
    assert response.status_code == 302
    assert mail.outbox[0].to == [owner.email] and "Reset your Sextant password" in mail.outbox[0].subject
    link = re.search(r"http://testserver(/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    response = client.post(form_url, {"new_password1": "reset-secret-88", "new_password2": "reset-secret-88"})
    assert response.status_code == 302
    assert User.objects.get(pk=owner.pk).check_password("reset-secret-88")
    assert AuditEvent.objects.filter(action="user.password_reset", actor=owner).exists()
    # The link works once.
    assert "invalid" in client.get(link, follow=True).content.decode()


def test_password_reset_for_an_unknown_email_reveals_nothing(client, owner):
    response = client.post("/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and not mail.outbox
