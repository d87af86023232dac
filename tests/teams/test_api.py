"""The REST API for teams, members, invitations, the audit log and the instance."""

import pytest
from django.core import mail

from accounts.models import InstanceSettings, UserSettings
from teams import services
from teams.models import AuditEvent, Invitation, Membership, Role, Team
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def login(api, user):
    """Log the API client in as `user` and send the CSRF token the way the console's JavaScript does."""
    api.force_login(user)
    api.get("/settings/")  # a console page with a form hands out the CSRF cookie
    api.credentials(HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value)
    return api


def test_session_writes_need_the_csrf_token(api, owner, team):
    api.force_login(owner)
    response = api.post("/api/v1/teams/", {"name": "newco"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Team.objects.filter(name="newco").exists()
    response = login(api, owner).post("/api/v1/teams/", {"name": "newco"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {**response.json(), "name": "newco", "role": "admin"}


def test_my_teams_lists_only_mine_with_my_role(api, people, member):
    login(api, member)
    names = {t["name"]: t["role"] for t in api.get("/api/v1/teams/").json()["results"]}
    assert names == {"acme": "member", "max": "admin"}


def test_team_creation_bad_input_names_the_field(api, owner, team):
    login(api, owner)
    for body, field in [
        ({}, "name"),
        ({"name": "Bad Name!"}, "name"),
        ({"name": "acme"}, "name"),
        ({"name": "olivia"}, "name"),
    ]:
        response = api.post("/api/v1/teams/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], response.json()
    assert Team.objects.count() == 2  # olivia's personal entity and acme


def test_a_link_invitation_returns_its_token_once_and_it_can_be_accepted(api, owner, team, outsider):
    login(api, owner)
    created = api.post("/api/v1/teams/acme/invitations/", {"role": "viewer"}, format="json").json()
    token = created["token"]
    assert created["url"].endswith(f"/invite/?token={token}") and created["status"] == "pending"
    listed = api.get("/api/v1/teams/acme/invitations/").json()["results"]
    one = api.get(f"/api/v1/teams/acme/invitations/{created['id']}/").json()
    assert token not in str(listed) and token not in str(one)
    assert Invitation.objects.get().token_hash == services.hash_token(token)

    login(api, outsider)
    accepted = api.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert accepted.status_code == 201 and accepted.json()["role"] == "viewer"
    retried = api.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert retried.status_code == 201 and retried.json() == accepted.json()  # a retry answers as the first did
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1
    login(api, make_user("lara"))
    again = api.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert again.status_code == 400 and "accepted" in again.json()["errors"]["token"][0]
    assert not Membership.objects.filter(team=team, user__username="lara").exists()


def test_an_email_invitation_is_sent_through_the_mail_backend(api, owner, team, django_capture_on_commit_callbacks):
    login(api, owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/teams/acme/invitations/", {"email": "new@example.com", "role": "member"}, format="json"
        )
    assert response.status_code == 201
    assert mail.outbox and mail.outbox[0].to == ["new@example.com"]
    assert response.json()["token"] in mail.outbox[0].body


def test_invitation_bad_input_names_the_field_and_creates_nothing(api, owner, team, member):
    login(api, owner)
    for body, field in [
        ({"role": "god"}, "role"),
        ({"email": "nope"}, "email"),
        ({"email": member.email}, "email"),
        ({"email": "a" * 60 + "@" + "b" * 200 + ".example.com"}, "email"),
        ({"role": ["member"]}, "role"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": "soon"}, "expires_in_days"),
    ]:
        response = api.post("/api/v1/teams/acme/invitations/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()["errors"], response.json()
    assert api.post("/api/v1/teams/acme/invitations/", "[1, 2", content_type="application/json").status_code == 400
    assert not Invitation.objects.exists()
    assert api.post("/api/v1/invitations/accept/", {}, format="json").json()["errors"].keys() == {"token"}


def test_revoking_is_idempotent_and_revoked_links_are_refused(api, owner, team, outsider):
    invitation, token = services.invitation_create(team=team, actor=owner)
    login(api, owner)
    first = api.delete(f"/api/v1/teams/acme/invitations/{invitation.pk}/")
    second = api.delete(f"/api/v1/teams/acme/invitations/{invitation.pk}/")
    assert first.status_code == second.status_code == 200 and second.json()["status"] == "revoked"
    assert api.delete("/api/v1/teams/acme/invitations/not-a-number/").status_code == 404
    login(api, outsider)
    response = api.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 400 and "revoked" in str(response.json())


def test_role_changes_and_removal_through_the_api(api, owner, member, viewer, team):
    login(api, owner)
    response = api.patch("/api/v1/teams/acme/members/vera/", {"role": "member"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "member"
    bad = api.patch("/api/v1/teams/acme/members/vera/", {"role": "owner"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["errors"]
    assert api.patch("/api/v1/teams/acme/members/nobody/", {"role": "member"}, format="json").status_code == 404
    assert api.delete("/api/v1/teams/acme/members/max/").status_code == 204
    assert set(api.get("/api/v1/teams/acme/members/").json()["results"][i]["username"] for i in range(2)) == {
        "olivia",
        "vera",
    }


def test_the_last_admin_is_protected_through_the_api(api, owner, team):
    login(api, owner)
    demote = api.patch("/api/v1/teams/acme/members/olivia/", {"role": "viewer"}, format="json")
    assert demote.status_code == 400 and "last admin" in demote.json()["errors"]["role"][0]
    remove = api.delete("/api/v1/teams/acme/members/olivia/")
    assert remove.status_code == 400 and "user" in remove.json()["errors"]
    leave = api.post("/api/v1/teams/acme/leave/")
    assert leave.status_code == 400 and "last admin" in leave.json()["errors"]["team"][0]
    assert Membership.objects.get(team=team, user=owner).role == Role.ADMIN


def test_members_of_another_team_are_not_found(api, owner, team, other_team, outsider):
    login(api, owner)
    # oscar exists and admins globex, but is not in acme: acme's URL does not find him.
    assert api.patch("/api/v1/teams/acme/members/oscar/", {"role": "viewer"}, format="json").status_code == 404
    assert api.get("/api/v1/teams/globex/members/").status_code == 404
    assert Membership.objects.get(team=other_team, user=outsider).role == Role.ADMIN


def test_team_admins_read_the_audit_log_newest_first(api, owner, member, team):
    services.member_role_change(
        membership=member.memberships.get(team=team), role=Role.VIEWER, actor=owner, ip="10.2.2.2"
    )
    login(api, owner)
    events = api.get("/api/v1/teams/acme/audit-log/").json()["results"]
    assert events[0]["action"] == "member.role_changed" and events[0]["ip"] == "10.2.2.2"
    assert events[0]["actor"] == "olivia" and events[0]["target"] == "max"
    assert {e["action"] for e in events} >= {"team.created", "member.added"}
    assert all(AuditEvent.objects.get(pk=e["id"]).team == team for e in events)


def test_settings_api_toggles_night_mode(api, owner):
    login(api, owner)
    assert api.get("/api/v1/settings/").json() == {"night_mode": False}
    assert api.patch("/api/v1/settings/", {"night_mode": True}, format="json").json() == {"night_mode": True}
    assert UserSettings.objects.get(user=owner).night_mode
    bad = api.patch("/api/v1/settings/", {"night_mode": "sometimes"}, format="json")
    assert bad.status_code == 400 and "night_mode" in bad.json()["errors"]
    assert UserSettings.objects.get(user=owner).night_mode


def test_instance_admins_close_signup_through_the_api(api, owner, outsider):
    login(api, outsider)
    assert api.patch("/api/v1/instance/", {"signup_open": False}, format="json").status_code == 403
    login(api, owner)
    bad = api.patch("/api/v1/instance/", {}, format="json")
    assert bad.status_code == 400 and "signup_open" in bad.json()["errors"]
    assert InstanceSettings.load().signup_open
    assert api.patch("/api/v1/instance/", {"signup_open": False}, format="json").json() == {"signup_open": False}
    assert not InstanceSettings.load().signup_open


def test_the_schema_generates_without_warnings():
    from django.core.management import call_command

    # --fail-on-warn turns any warning about our views into an error.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", "/dev/null")


def test_the_schema_documents_the_team_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "/api/v1/teams/",
        "/api/v1/teams/{team}/members/{username}/",
        "/api/v1/teams/{team}/invitations/",
        "/api/v1/teams/{team}/audit-log/",
        "/api/v1/invitations/accept/",
        "/api/v1/settings/",
        "/api/v1/instance/",
    ]:
        assert path in schema["paths"], path


def test_service_accounts_cannot_accept_invitations(api, owner, team, other_team):
    from accounts.models import User

    robot = User.objects.create(username="robot", kind=User.Kind.SERVICE, service_team=other_team)
    _, token = services.invitation_create(team=team, actor=owner)
    login(api, robot)
    response = api.post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert response.status_code == 400 and not Membership.objects.filter(team=team, user=robot).exists()
    assert make_user("late")  # the invitation is still usable by a person


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/teams/",
        "/api/v1/teams/acme/members/",
        "/api/v1/teams/acme/invitations/",
        "/api/v1/teams/acme/audit-log/",
    ],
)
def test_list_endpoints_do_not_query_per_row(api, owner, team, url, django_assert_max_num_queries):
    for i in range(12):
        user = make_user(f"user{i}")
        services.member_add(team=team, user=user, role=Role.VIEWER, actor=owner)
        services.invitation_create(team=team, actor=owner, email=f"guest{i}@example.com")
        services.team_create(name=f"side{i}", owner=owner)
    api.force_login(owner)
    with django_assert_max_num_queries(8):
        response = api.get(url)
    assert response.status_code == 200 and response.json()["count"] >= 12
