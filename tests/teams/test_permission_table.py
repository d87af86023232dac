"""Every endpoint of the foundation × every caller × another team's object.

Other apps add their own rows in their own modules with tests/permissions.py.
"""

import pytest

from teams import services
from teams.models import Role
from tests.permissions import Endpoint, admin_of, check_permission, permission_cases

pytestmark = pytest.mark.django_db


def a_member(team):
    """A spare member of the team to act on (its own name per team)."""
    user = services.user_create(username=f"target-{team.name}", email=f"target@{team.name}.example", password=None)
    services.member_add(team=team, user=user, role=Role.VIEWER)
    return {"username": user.username}


def an_invitation(team):
    invitation, _ = services.invitation_create(team=team, actor=admin_of(team), role=Role.MEMBER)
    return {"invitation": invitation.pk}


def a_second_admin(team):
    # So that the owner may leave too: leaving as the last admin is refused.
    user = services.user_create(username=f"admin2-{team.name}", email=f"admin2@{team.name}.example", password=None)
    services.member_add(team=team, user=user, role=Role.ADMIN)
    return {}


def a_third_teams_invitation(team):
    # An invitation nobody in the fixtures belongs to yet, so every caller may accept it.
    boss = services.user_create(username="boss", email="boss@initech.example", password=None)
    initech = services.team_create(name="initech", owner=boss)
    _, token = services.invitation_create(team=initech, actor=boss, role=Role.VIEWER)
    return {"token": token}


def a_reset_link(team):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = admin_of(team)
    return {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


def token_body(user, kwargs):
    return {"token": kwargs["token"]}


def own_profile(user, kwargs):
    return {"first_name": "Renamed", "last_name": "", "email": user.email if user else "nobody@example.com"}


API = [
    Endpoint("GET", "/api/v1/me/", "user", team_scoped=False, ingest=True),
    Endpoint("GET", "/api/v1/settings/", "user", team_scoped=False),
    Endpoint("PATCH", "/api/v1/settings/", "user", team_scoped=False, data={"night_mode": True}),
    Endpoint("GET", "/api/v1/me/security-events/", "user", team_scoped=False),
    Endpoint("GET", "/api/v1/teams/", "user", team_scoped=False),
    Endpoint("POST", "/api/v1/teams/", "user", team_scoped=False, data={"name": "newco"}),
    Endpoint("GET", "/api/v1/teams/{team}/", "viewer"),
    Endpoint("GET", "/api/v1/teams/{team}/members/", "viewer"),
    Endpoint("GET", "/api/v1/teams/{team}/members/{username}/", "viewer", setup=a_member),
    Endpoint("PATCH", "/api/v1/teams/{team}/members/{username}/", "admin", setup=a_member, data={"role": "member"}),
    Endpoint("DELETE", "/api/v1/teams/{team}/members/{username}/", "admin", setup=a_member),
    Endpoint("POST", "/api/v1/teams/{team}/leave/", "viewer", setup=a_second_admin),
    Endpoint("GET", "/api/v1/teams/{team}/invitations/", "admin"),
    Endpoint("POST", "/api/v1/teams/{team}/invitations/", "admin", data={"role": "viewer"}),
    Endpoint("GET", "/api/v1/teams/{team}/invitations/{invitation}/", "admin", setup=an_invitation),
    Endpoint("DELETE", "/api/v1/teams/{team}/invitations/{invitation}/", "admin", setup=an_invitation),
    Endpoint("GET", "/api/v1/teams/{team}/audit-log/", "admin"),
    Endpoint(
        "POST",
        "/api/v1/invitations/accept/",
        "user",
        team_scoped=False,
        setup=a_third_teams_invitation,
        data=token_body,
    ),
    Endpoint("GET", "/api/v1/instance/", "instance_admin", team_scoped=False),
    Endpoint("PATCH", "/api/v1/instance/", "instance_admin", team_scoped=False, data={"signup_open": False}),
]

CONSOLE = [
    Endpoint("GET", "/", "user", team_scoped=False),
    Endpoint("GET", "/teams/", "user", team_scoped=False),
    Endpoint("POST", "/teams/", "user", team_scoped=False, data={"name": "newco"}),
    Endpoint("GET", "/teams/{team}/", "viewer"),
    Endpoint("POST", "/teams/{team}/invitations/", "admin", data={"role": "member", "expires_in_days": 7}),
    Endpoint("POST", "/teams/{team}/invitations/{invitation}/revoke/", "admin", setup=an_invitation),
    Endpoint("POST", "/teams/{team}/members/{username}/role/", "admin", setup=a_member, data={"role": "member"}),
    Endpoint("POST", "/teams/{team}/members/{username}/remove/", "admin", setup=a_member),
    Endpoint("POST", "/teams/{team}/leave/", "viewer", setup=a_second_admin),
    Endpoint("GET", "/teams/{team}/audit/", "admin"),
    Endpoint("GET", "/invite/?token={token}", "anyone", team_scoped=False, setup=a_third_teams_invitation),
    Endpoint("GET", "/invite/", "anyone", team_scoped=False),
    Endpoint(
        "POST",
        "/invite/",
        "anyone",
        team_scoped=False,
        setup=a_third_teams_invitation,
        data=lambda user, kwargs: {"token": kwargs["token"]},
    ),  # fmt: skip
    Endpoint("GET", "/invite/{token}/", "anyone", team_scoped=False, setup=a_third_teams_invitation),
    Endpoint("GET", "/instance/", "instance_admin", team_scoped=False),
    Endpoint("POST", "/instance/", "instance_admin", team_scoped=False, data={"signup_open": "on"}),
    Endpoint("GET", "/settings/", "user", team_scoped=False),
    Endpoint("GET", "/settings/security/", "user", team_scoped=False),
    Endpoint("POST", "/settings/", "user", team_scoped=False, data={"night_mode": "on"}),
    Endpoint("POST", "/settings/profile/", "user", team_scoped=False, data=own_profile),
    Endpoint("GET", "/settings/api-keys/", "user", team_scoped=False),
    Endpoint("GET", "/password/change/", "user", team_scoped=False),
    Endpoint("GET", "/password/reset/", "anyone", team_scoped=False),
    Endpoint("GET", "/password/reset/{uid}/{token}/", "anyone", team_scoped=False, setup=a_reset_link),
    Endpoint("GET", "/signup/", "anyone", team_scoped=False),
]


@pytest.mark.parametrize("row, caller", permission_cases(API + CONSOLE))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def test_every_console_page_of_the_foundation_is_in_the_table():
    """The suite-wide check covers /api/v1/; this covers the console views of teams and accounts."""
    import re

    from accounts import urls as account_urls
    from teams import urls as team_urls

    declared = {re.sub(r"\{\w+\}", "{}", row.url) for row in CONSOLE}
    # Django's own log-in, log-out and reset-confirmation steps hold no team data.
    django_pages = {"login/", "logout/", "password/reset/sent/", "password/reset/done/"}
    for pattern in [*team_urls.urlpatterns, *account_urls.urlpatterns]:
        if pattern.callback is None:
            continue  # an include() (SSO): its pages have their own table in tests/teams/sso
        view = getattr(pattern.callback, "view_class", pattern.callback)
        if view.__module__ not in ("teams.views", "accounts.views") or str(pattern.pattern) in django_pages:
            continue
        route = "/" + re.sub(r"<(?:\w+:)?\w+>", "{}", str(pattern.pattern))
        assert route in declared, f"console page {route} has no row in the permission table"
