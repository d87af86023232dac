"""The console pages: forms re-render with their errors, refused writes change nothing."""

import re

import pytest
from django.core import mail

from accounts.models import InstanceSettings, User
from teams import services
from teams.models import AuditEvent, Invitation, Membership, Role, Team

pytestmark = pytest.mark.django_db


def test_creating_a_team_from_the_console(client, owner):
    client.force_login(owner)
    response = client.post("/teams/", {"name": "newco", "display_name": "New Co"})
    assert response.status_code == 302 and response["Location"] == "/teams/newco/"
    page = client.get("/teams/newco/").content.decode()
    assert "newco" in page and "Invite someone" in page
    assert Membership.objects.get(team__name="newco", user=owner).role == Role.ADMIN


@pytest.mark.parametrize(
    "name, message",
    [("", "This field is required"), ("Not OK", "lowercase"), ("olivia", "already taken"), ("x" * 64, "at most 63")],
)
def test_bad_team_names_re_render_the_form_with_the_reason(client, owner, name, message):
    client.force_login(owner)
    response = client.post("/teams/", {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Team.objects.count() == 1  # only olivia's personal entity


def test_a_link_invitation_is_shown_once(client, owner, team):
    client.force_login(owner)
    response = client.post("/teams/acme/invitations/", {"role": "viewer", "expires_in_days": "3"})
    assert response.status_code == 200
    link = re.search(r'value="(http://testserver/invite/\?token=[^"]+)"', response.content.decode()).group(1)
    token = link.rsplit("=", 1)[1]
    assert Invitation.objects.get().token_hash == services.hash_token(token)
    assert token not in client.get("/teams/acme/").content.decode()
    assert "link #" in client.get("/teams/acme/").content.decode()


def test_an_email_invitation_from_the_console_is_mailed(client, owner, team, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/teams/acme/invitations/", {"email": "pat@example.com", "role": "member", "expires_in_days": "7"}
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["pat@example.com"] and "/invite/" in mail.outbox[0].body
    assert "pat@example.com" in client.get("/teams/acme/").content.decode()


def test_a_bad_invitation_form_re_renders_with_errors(client, owner, team, member):
    client.force_login(owner)
    response = client.post(
        "/teams/acme/invitations/", {"email": member.email, "role": "member", "expires_in_days": "7"}
    )
    assert response.status_code == 400 and "already a member" in response.content.decode()
    response = client.post("/teams/acme/invitations/", {"role": "boss", "expires_in_days": "700"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "less than or equal to 90" in page
    assert not Invitation.objects.exists()


def test_a_logged_out_invitee_signs_up_then_joins(client, owner, team):
    _, token = services.invitation_create(team=team, actor=owner, role=Role.VIEWER)
    page = open_link(client, token).content.decode()
    assert "acme" in page and "/signup/?next=/invite/" in page and token not in page
    response = client.post(
        "/signup/?next=/invite/",
        {
            "username": "nina",
            "email": "nina@example.com",
            "password": "correct-horse-battery-9",
            "next": "/invite/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/invite/"
    response = client.post("/invite/")
    assert response.status_code == 302 and response["Location"] == "/teams/acme/"
    assert Membership.objects.get(team=team, user__username="nina").role == Role.VIEWER


def test_a_logged_out_invitee_logs_in_then_joins(client, owner, team, outsider):
    _, token = services.invitation_create(team=team, actor=owner)
    open_link(client, token)
    response = client.post("/login/", {"username": "oscar", "password": "correct-horse-battery-9", "next": "/invite/"})
    assert response["Location"] == "/invite/"
    assert "Join acme" in client.get("/invite/").content.decode()  # the session kept the invitation through login
    client.post("/invite/")
    assert Membership.objects.filter(team=team, user=outsider).exists()


def test_an_invitation_lets_people_sign_up_while_signup_is_closed(client, owner, team):
    services.instance_signup_set(actor=owner, signup_open=False)
    assert client.get("/signup/").status_code == 403
    _, token = services.invitation_create(team=team, actor=owner)
    open_link(client, token)
    assert client.get("/signup/").status_code == 200


def test_an_email_invitation_refuses_another_account(client, owner, team, outsider):
    _, token = services.invitation_create(team=team, actor=owner, email="someone@example.com")
    client.force_login(outsider)
    open_link(client, token)
    response = client.post("/invite/")
    assert response.status_code == 400 and "sent to someone@example.com" in response.content.decode()
    assert not Membership.objects.filter(team=team, user=outsider).exists()


def test_an_unknown_invitation_token_is_not_found(client, outsider):
    client.force_login(outsider)
    response = open_link(client, "forged-token")
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert client.get("/invite/").status_code == 200  # nothing pending any more: how to get here, not an error


def open_link(client, token):
    """Follow an invitation link as a browser does: the token is swapped for the session at once."""
    swap = client.get(f"/invite/?token={token}")
    assert swap.status_code == 302 and swap["Location"] == "/invite/" and swap["Referrer-Policy"] == "no-referrer"
    return client.get("/invite/")


def test_links_sent_with_the_token_in_the_path_still_work_and_move_it_out(client, owner, team, outsider):
    _, token = services.invitation_create(team=team, actor=owner)
    client.force_login(outsider)
    swap = client.get(f"/invite/{token}/")
    assert swap.status_code == 302 and swap["Location"] == "/invite/"
    assert client.post("/invite/").status_code == 302
    assert Membership.objects.filter(team=team, user=outsider).exists()


def test_role_change_removal_and_leaving_from_the_console(client, owner, member, viewer, team):
    client.force_login(owner)
    assert client.post("/teams/acme/members/max/role/", {"role": "admin"}).status_code == 302
    assert Membership.objects.get(team=team, user=member).role == Role.ADMIN
    assert client.post("/teams/acme/members/vera/remove/").status_code == 302
    assert not Membership.objects.filter(team=team, user=viewer).exists()
    assert client.post("/teams/acme/leave/")["Location"] == "/"
    assert not Membership.objects.filter(team=team, user=owner).exists()
    assert set(AuditEvent.objects.filter(team=team).values_list("action", flat=True)) >= {
        "member.role_changed",
        "member.removed",
        "member.left",
    }


def test_the_last_admin_gets_a_message_and_nothing_changes(client, owner, member, team):
    client.force_login(owner)
    for url, data in [
        ("/teams/acme/members/olivia/role/", {"role": "viewer"}),
        ("/teams/acme/members/olivia/remove/", {}),
        ("/teams/acme/leave/", {}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400 and "last admin" in response.content.decode(), url
    assert Membership.objects.get(team=team, user=owner).role == Role.ADMIN
    response = client.post("/teams/acme/members/max/role/", {"role": "wizard"})
    assert response.status_code == 400 and "Role must be one of" in response.content.decode()
    assert Membership.objects.get(team=team, user=member).role == Role.MEMBER


def test_members_see_the_team_but_not_its_admin_controls(client, member, team):
    client.force_login(member)
    page = client.get("/teams/acme/").content.decode()
    assert "olivia" in page and "Invite someone" not in page and "Remove" not in page
    assert client.get("/teams/acme/audit/").status_code == 403
    assert client.get("/teams/globex/").status_code == 404


def test_team_admins_read_the_audit_log_in_the_console(client, owner, member, team):
    services.member_role_change(
        membership=member.memberships.get(team=team), role=Role.VIEWER, actor=owner, ip="10.3.3.3"
    )
    client.force_login(owner)
    page = client.get("/teams/acme/audit/").content.decode()
    assert "member.role_changed" in page and "10.3.3.3" in page and "member → viewer" in page


def test_instance_admins_close_signup_in_the_console(client, owner, outsider):
    client.force_login(outsider)
    assert client.get("/instance/").status_code == 403
    client.force_login(owner)
    assert client.post("/instance/", {}).status_code == 302  # unchecked box: closed
    assert not InstanceSettings.load().signup_open
    client.logout()
    assert client.get("/signup/").status_code == 403
    assert client.post("/signup/", {"username": "eve", "email": "eve@example.com", "password": "x"}).status_code == 403
    assert not User.objects.filter(username="eve").exists()


def test_signup_bad_input_re_renders_and_creates_nothing(client, owner):
    response = client.post("/signup/", {"username": "Bad Name", "email": "nope", "password": "123"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a valid email address" in page and "too short" in page
    response = client.post(
        "/signup/", {"username": "olivia", "email": "x@example.com", "password": "correct-horse-battery-9"}
    )
    assert response.status_code == 400 and "already taken" in response.content.decode()
    assert User.objects.count() == 1


def test_the_console_refuses_writes_without_a_csrf_token(owner, team):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post("/teams/acme/invitations/", {"role": "member", "expires_in_days": "7"}).status_code == 403
    assert not Invitation.objects.exists()


def test_an_empty_form_post_is_a_bad_request_not_a_blank_page(client, owner):
    client.force_login(owner)
    response = client.post("/teams/")
    assert response.status_code == 400 and "This field is required" in response.content.decode()
