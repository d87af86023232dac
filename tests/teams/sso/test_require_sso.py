"""A team that requires SSO refuses its members' password sessions for its data (teams.access)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from accounts.access import Caller
from accounts.keys import generate_key, hash_key
from accounts.models import ApiKey
from teams.access import Need, SSORequired, resolve
from teams.models import Membership, Role, TeamSSOConfig
from teams.sso import grants
from teams.sso.crypto import encrypt_secret

from .conftest import session_login


def require_sso(team, required=True):
    return TeamSSOConfig.objects.create(
        team=team,
        issuer="https://login.acme.test",
        client_id="c",
        client_secret_encrypted=encrypt_secret("s"),
        allowed_domains=["acme.test"],
        require_sso=required,
    )


def request_with_session(user, configs=()):
    """A request of `user` whose session logged in through these SSO configurations."""
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    for config in configs:
        grants.grant(request.session, config)
    return request


def access_team(user, name, request=None):
    """(team, role) if `user` may read team `name` through `request`'s session (or with none)."""
    access = resolve(request if request is not None else Caller.trusted(user), name).require(Need.READ)
    return access.team, access.role


@pytest.mark.django_db
class TestAccessTeam:
    def test_a_password_session_is_refused_when_the_team_requires_sso(self, team, member):
        require_sso(team)
        with pytest.raises(SSORequired, match="requires single sign-on"):
            access_team(member, "acme", request=request_with_session(member))

    def test_a_session_that_came_through_the_teams_sso_is_let_in(self, team, member):
        config = require_sso(team)
        assert access_team(member, "acme", request=request_with_session(member, [config])) == (team, Role.MEMBER)

    def test_sso_through_another_team_does_not_count(self, team, other_team, member):
        require_sso(team)
        with pytest.raises(SSORequired):
            access_team(member, "acme", request=request_with_session(member, [require_sso(other_team, required=False)]))

    @pytest.mark.parametrize("change", ["issuer", "client_id", "off and on again"])
    def test_a_grant_through_old_settings_no_longer_counts(self, team, member, change):
        config = require_sso(team)
        request = request_with_session(member, [config])
        assert access_team(member, "acme", request=request) == (team, Role.MEMBER)
        if change == "off and on again":
            config.delete()
            require_sso(team)
        else:
            setattr(config, change, getattr(config, change) + "-new")
            config.save()
        with pytest.raises(SSORequired):
            access_team(member, "acme", request=request)

    def test_instance_admins_keep_their_password_login(self, team, owner):
        require_sso(team)
        assert owner.is_superuser
        assert access_team(owner, "acme", request=request_with_session(owner)) == (team, Role.ADMIN)

    def test_without_a_request_a_team_that_requires_sso_refuses(self, team, member):
        require_sso(team)
        with pytest.raises(SSORequired):
            access_team(member, "acme")

    def test_sso_configured_but_not_required_changes_nothing(self, team, member):
        require_sso(team, required=False)
        assert access_team(member, "acme", request=request_with_session(member)) == (team, Role.MEMBER)
        assert access_team(member, "acme") == (team, Role.MEMBER)

    def test_outsiders_still_get_404_not_a_hint_about_sso(self, team, outsider):
        from django.http import Http404

        require_sso(team)
        with pytest.raises(Http404):
            access_team(outsider, "acme", request=request_with_session(outsider))


@pytest.mark.django_db
def test_the_api_refuses_a_password_session_of_a_team_that_requires_sso(api, team, member):
    Membership.objects.filter(team=team, user=member).update(role=Role.ADMIN)
    require_sso(team)
    session_login(api, member)
    response = api.get("/api/v1/teams/acme/sso/")
    assert response.status_code == 403
    assert "requires single sign-on" in response.json()["detail"]


@pytest.mark.django_db
def test_an_api_key_is_not_a_password_session(api, team, member):
    Membership.objects.filter(team=team, user=member).update(role=Role.ADMIN)
    require_sso(team)
    key = generate_key("personal")
    ApiKey.objects.create(user=member, name="ci", key_hash=hash_key(key), hint="x", scope="full")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/teams/acme/sso/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_member_who_logs_in_through_sso_reaches_the_team_and_a_password_session_does_not(
    acme_sso, browser, api, team, member
):
    Membership.objects.filter(team=team, user=member).update(role=Role.ADMIN)
    TeamSSOConfig.objects.filter(pk=acme_sso.pk).update(require_sso=True)

    password = browser()
    password.session.get(f"{password.base}/login/")
    token = password.session.cookies["csrftoken"]
    password.session.post(
        f"{password.base}/login/",
        data={"username": member.email, "password": "correct-horse-battery-9", "csrfmiddlewaretoken": token},
        headers={"Referer": password.base},
    )
    assert password.get("/").status_code == 200  # logged in
    assert password.get("/teams/acme/").status_code == 403  # the team's console page
    assert password.get("/teams/max/").status_code == 200  # a team without SSO: the password session is fine
    console = password.get("/teams/acme/sso/")
    assert (
        console.status_code == 302 and console.headers["Location"] == "/sso/acme/login/?next=%2Fteams%2Facme%2Fsso%2F"
    )
    assert password.get("/api/v1/teams/acme/sso/").status_code == 403

    sso = browser()
    assert sso.login("acme", member.email).status_code == 302
    assert sso.get("/teams/acme/sso/").status_code == 200
    assert sso.get("/teams/acme/").status_code == 200
    assert sso.get("/api/v1/teams/acme/sso/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_session_loses_the_team_when_its_sso_settings_change_until_it_logs_in_again(
    acme_sso, browser, oidc_provider, team, member, owner
):
    from teams.sso import services as sso_services

    from .conftest import SECRET_A

    Membership.objects.filter(team=team, user=member).update(role=Role.ADMIN)
    TeamSSOConfig.objects.filter(pk=acme_sso.pk).update(require_sso=True)
    sso = browser()
    assert sso.login("acme", member.email).status_code == 302
    assert sso.get("/api/v1/teams/acme/sso/").status_code == 200

    def configure(client_id):
        return sso_services.sso_config_save(
            team=team, actor=owner, issuer=oidc_provider.issuers[0], client_id=client_id, client_secret=SECRET_A,
            allowed_domains=["acme.test", "example.com"], require_sso=True,
        )  # fmt: skip

    configure("acme-sextant-v2")  # another client at the same provider
    refused = sso.get("/api/v1/teams/acme/sso/")
    assert refused.status_code == 403 and "requires single sign-on" in refused.json()["detail"]
    assert sso.get("/teams/acme/").status_code == 403

    sso_services.sso_config_delete(team=team, actor=owner)  # SSO off: the team is open to its members' sessions
    assert sso.get("/teams/acme/").status_code == 200
    configure("acme-sextant")  # on again, the very same settings: still a new configuration
    assert sso.get("/teams/acme/").status_code == 403

    assert sso.login("acme", member.email).status_code == 302  # a fresh login through today's settings
    assert sso.get("/teams/acme/").status_code == 200
