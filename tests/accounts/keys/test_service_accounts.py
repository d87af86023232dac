"""Service accounts: team admins manage them; their keys act only in their team."""

import pytest

from accounts.models import ApiKey, User
from teams import service_accounts
from teams.models import AuditEvent, Membership

from .conftest import key_client, personal_key, session_client

pytestmark = pytest.mark.django_db
SA = "/api/v1/teams/acme/service-accounts/"


def lifetime_days(key: ApiKey) -> int:
    return round((key.expires_at - key.created_at).total_seconds() / 86400)


def test_an_admin_creates_a_service_account_that_is_a_member_of_that_team_only(owner, team):
    api = session_client(owner)
    response = api.post(SA, {"name": "ci"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "ci" and response.json()["username"] == "ci@acme"
    account = User.objects.get(username="ci@acme")
    assert account.is_service_account and account.service_team == team and not account.has_usable_password()
    assert list(Membership.objects.filter(user=account).values_list("team__name", "role")) == [("acme", "member")]
    assert AuditEvent.objects.filter(action="service_account.created", team=team, actor=owner, target="ci").exists()
    assert [a["name"] for a in api.get(SA).json()] == ["ci"]
    # Names are per team, and cannot repeat within one.
    duplicate = api.post(SA, {"name": "ci"}, format="json")
    assert duplicate.status_code == 400 and "already has" in str(duplicate.json())
    assert api.post(SA, {"name": "Not Valid!"}, format="json").status_code == 400


def test_two_teams_may_each_have_a_service_account_of_the_same_name(owner, team, outsider, other_team):
    service_accounts.service_account_create(team=team, name="ci", actor=owner)
    response = session_client(outsider).post("/api/v1/teams/globex/service-accounts/", {"name": "ci"}, format="json")
    assert response.status_code == 201


def test_a_personal_entity_has_no_service_accounts(owner):
    assert (
        session_client(owner).post("/api/v1/teams/olivia/service-accounts/", {"name": "ci"}, format="json").status_code
        == 400
    )


def test_service_account_keys_are_issued_once_and_listed_with_their_hint(owner, team, robot):
    api = session_client(owner)
    response = api.post(f"{SA}ci/keys/", {"name": "nightly", "scope": "ingest"}, format="json")
    assert response.status_code == 201
    key = response.json()["key"]
    assert key.startswith("sxt_sa-")
    listing = api.get(f"{SA}ci/keys/").json()
    assert [(k["name"], k["scope"], k["hint"]) for k in listing] == [("nightly", "ingest", key[:6] + "-…" + key[-4:])]
    assert key not in str(listing)
    assert AuditEvent.objects.filter(action="service_account.key_created", team=team).count() == 1
    me = key_client(key).get("/api/v1/me/").json()
    assert me["username"] == "ci@acme" and me["kind"] == "service"


def test_a_service_account_key_acts_in_its_team_and_nowhere_else(owner, team, robot_key, outsider, other_team):
    client = key_client(robot_key.key)
    # Its own team: it is a member, not an admin, so it sees no admin pages there.
    assert client.get(SA).status_code == 403
    # Another team's data answers 404, as if it did not exist.
    for url in ("/api/v1/teams/globex/service-accounts/", "/api/v1/teams/globex/service-key-policy/"):
        assert client.get(url).status_code == 404
    assert client.post("/api/v1/teams/globex/service-accounts/", {"name": "x"}, format="json").status_code == 404
    assert not User.objects.filter(username="x@globex").exists()


def test_a_service_account_cannot_manage_keys_itself(robot_key):
    client = key_client(robot_key.key)
    assert client.get("/api/v1/keys/").status_code == 403
    assert client.post("/api/v1/keys/", {"name": "more"}, format="json").status_code == 403
    rotate = client.post(f"/api/v1/keys/{robot_key.api_key.pk}/rotate/", {"overlap_seconds": 0}, format="json")
    assert rotate.status_code == 403
    assert ApiKey.objects.count() == 1


def test_rotate_and_revoke_a_service_account_key(owner, team, robot, robot_key, clock):
    api = session_client(owner)
    base = f"{SA}ci/keys/{robot_key.api_key.pk}/"
    new = api.post(base + "rotate/", {"overlap_seconds": 60}, format="json")
    assert new.status_code == 201
    new_key = new.json()["key"]
    assert key_client(robot_key.key).get("/api/v1/me/").status_code == 200
    clock.advance(seconds=61)
    assert key_client(robot_key.key).get("/api/v1/me/").status_code == 401
    assert key_client(new_key).get("/api/v1/me/").status_code == 200
    assert api.delete(f"{SA}ci/keys/{new.json()['id']}/").status_code == 204
    assert key_client(new_key).get("/api/v1/me/").status_code == 401
    actions = set(AuditEvent.objects.filter(team=team).values_list("action", flat=True))
    assert {"service_account.key_rotated", "service_account.key_revoked"} <= actions


def test_deleting_a_service_account_stops_its_keys(owner, team, robot, robot_key):
    api = session_client(owner)
    assert api.delete(f"{SA}ci/").status_code == 204
    assert key_client(robot_key.key).get("/api/v1/me/").status_code == 401
    assert not User.objects.filter(username="ci@acme").exists()
    assert AuditEvent.objects.get(action="service_account.deleted").data["keys_deleted"] == 1
    assert api.delete(f"{SA}ci/").status_code == 404


def test_a_key_of_another_teams_service_account_answers_404(owner, team, robot, outsider, other_team):
    theirs = service_accounts.service_account_create(team=other_team, name="bot", actor=outsider)
    their_key = service_accounts.service_account_key_create(team=other_team, account=theirs, name="k", actor=outsider)
    api = session_client(owner)
    # Through acme's URL, globex's key does not exist.
    assert api.delete(f"{SA}ci/keys/{their_key.api_key.pk}/").status_code == 404
    assert (
        api.post(f"{SA}ci/keys/{their_key.api_key.pk}/rotate/", {"overlap_seconds": 0}, format="json").status_code
        == 404
    )
    assert api.get(f"{SA}bot/keys/").status_code == 404
    assert key_client(their_key.key).get("/api/v1/me/").status_code == 200


def test_the_team_maximum_lifetime_bounds_service_account_keys(owner, team, robot, clock):
    api = session_client(owner)
    assert (
        api.put("/api/v1/teams/acme/service-key-policy/", {"max_lifetime_days": 30}, format="json").status_code == 200
    )
    assert api.get("/api/v1/teams/acme/service-key-policy/").json() == {"max_lifetime_days": 30}
    too_long = api.post(f"{SA}ci/keys/", {"name": "k", "expires_in_days": 31}, format="json")
    assert too_long.status_code == 400 and "30 days" in str(too_long.json())
    # Without an expiry a key gets the maximum.
    capped = api.post(f"{SA}ci/keys/", {"name": "k"}, format="json").json()
    key = ApiKey.objects.get(pk=capped["id"])
    assert lifetime_days(key) == 30
    # A tighter limit applies to the successor at rotation.
    api.put("/api/v1/teams/acme/service-key-policy/", {"max_lifetime_days": 7}, format="json")
    successor = api.post(f"{SA}ci/keys/{key.pk}/rotate/", {"overlap_seconds": 0}, format="json").json()
    successor_row = ApiKey.objects.get(pk=successor["id"])
    assert lifetime_days(successor_row) == 7
    assert AuditEvent.objects.filter(action="service_account.key_max_lifetime_set", team=team).count() == 2
    assert api.put("/api/v1/teams/acme/service-key-policy/", {"max_lifetime_days": 0}, format="json").status_code == 400


def test_personal_keys_ignore_the_service_account_limit(owner, team):
    team.service_key_max_lifetime_days = 1
    team.save()
    assert personal_key(owner).api_key.expires_at is None


@pytest.mark.parametrize("who,status", [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_admins_manage_service_accounts(people, robot, robot_key, who, status):
    api = session_client(people[who])
    key_id = robot_key.api_key.pk
    calls = [
        api.get(SA),
        api.post(SA, {"name": "sneaky"}, format="json"),
        api.delete(f"{SA}ci/"),
        api.get(f"{SA}ci/keys/"),
        api.post(f"{SA}ci/keys/", {"name": "k"}, format="json"),
        api.post(f"{SA}ci/keys/{key_id}/rotate/", {"overlap_seconds": 0}, format="json"),
        api.delete(f"{SA}ci/keys/{key_id}/"),
        api.get("/api/v1/teams/acme/service-key-policy/"),
        api.put("/api/v1/teams/acme/service-key-policy/", {"max_lifetime_days": 1}, format="json"),
    ]
    assert [c.status_code for c in calls] == [status] * len(calls)
    assert ApiKey.objects.get().is_live() and User.objects.filter(kind="service").count() == 1


def test_a_service_account_stays_confined_even_if_added_to_another_team(
    owner, team, robot, robot_key, outsider, other_team
):
    from django.http import Http404

    from teams.access import resolve
    from teams.models import Role

    # Should any code path ever add it elsewhere, the access layer still refuses.
    Membership.objects.create(team=other_team, user=robot, role=Role.ADMIN)
    with pytest.raises(Http404):
        resolve(robot_key.api_key, other_team.name)
    client = key_client(robot_key.key)
    assert client.get("/api/v1/teams/globex/service-accounts/").status_code == 404
    assert client.post("/api/v1/teams/globex/service-accounts/", {"name": "x"}, format="json").status_code == 404


def test_listing_keys_costs_a_fixed_number_of_queries(owner, team, robot, django_assert_max_num_queries):
    for i in range(5):
        personal_key(owner, name=f"k{i}")
        service_accounts.service_account_key_create(team=team, account=robot, name=f"k{i}", actor=owner)
    for key in ApiKey.objects.filter(name="k0"):
        from accounts.services import key_rotate

        key_rotate(api_key=key, overlap_seconds=60)
    api = session_client(owner)
    with django_assert_max_num_queries(4):  # session, user, keys (with successors)
        assert len(api.get("/api/v1/keys/").json()) == 6
    with django_assert_max_num_queries(6):  # + membership, service account
        assert len(api.get(f"{SA}ci/keys/").json()) == 6


def test_a_service_account_key_cannot_reach_beyond_its_team_through_the_team_api(
    owner, team, robot_key, outsider, other_team
):
    from teams import services as team_services
    from teams.models import Role, Team

    client = key_client(robot_key.key)
    assert [t["name"] for t in client.get("/api/v1/teams/").json()["results"]] == ["acme"]
    assert client.get("/api/v1/teams/acme/members/").status_code == 200
    for url in ("/api/v1/teams/globex/", "/api/v1/teams/globex/members/", "/api/v1/teams/globex/audit-log/"):
        assert client.get(url).status_code == 404, url
    # It cannot found a team of its own, nor join one through an invitation link.
    assert client.post("/api/v1/teams/", {"name": "robots"}, format="json").status_code in (400, 403)
    assert not Team.objects.filter(name="robots").exists()
    _, token = team_services.invitation_create(team=other_team, actor=outsider, role=Role.ADMIN)
    assert client.post("/api/v1/invitations/accept/", {"token": token}, format="json").status_code in (400, 403)
    assert not Membership.objects.filter(team=other_team, user=robot_key.api_key.user).exists()
