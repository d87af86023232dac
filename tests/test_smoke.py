import pytest

from teams.models import Membership, Team

pytestmark = pytest.mark.django_db


def test_first_user_is_instance_admin_and_gets_a_personal_entity(owner, outsider):
    assert owner.is_superuser and not outsider.is_superuser
    personal = Team.objects.get(name=owner.username)
    assert personal.is_personal
    assert Membership.objects.get(team=personal, user=owner).role == "admin"


def test_team_names_and_usernames_share_one_namespace(owner):
    from django.core.exceptions import ValidationError

    from teams import services

    with pytest.raises(ValidationError):
        services.team_create(name=owner.username, owner=owner)


def test_me_endpoint_needs_authentication(client, owner):
    assert client.get("/api/v1/me/").status_code in (401, 403)
    client.force_login(owner)
    body = client.get("/api/v1/me/").json()
    assert body["username"] == "olivia"
