"""The team services: invitations, roles, removal, leaving, and their audit trail."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import InstanceSettings
from teams import services
from teams.models import AuditEvent, Invitation, Membership, Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def actions(team):
    return list(AuditEvent.objects.filter(team=team).order_by("id").values_list("action", flat=True))


def test_a_link_invitation_is_stored_as_a_hash_and_works_once(team, owner, outsider):
    invitation, token = services.invitation_create(team=team, actor=owner, role=Role.VIEWER, ip="10.0.0.1")
    assert token not in invitation.token_hash and invitation.token_hash == services.hash_token(token)
    membership = services.invitation_accept(token=token, user=outsider, ip="10.0.0.2")
    assert membership.role == Role.VIEWER and membership.team == team
    late = make_user("lara")
    with pytest.raises(ValidationError, match="accepted"):
        services.invitation_accept(token=token, user=late)
    assert not Membership.objects.filter(team=team, user=late).exists()
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert (event.actor, event.team, event.target, event.ip) == (outsider, team, "oscar", "10.0.0.2")


def test_an_email_invitation_is_mailed_and_only_that_account_may_accept_it(
    team, owner, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(team=team, actor=owner, email="Oscar@Example.com")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["oscar@example.com"]
    assert f"/invite/?token={token}" in mail.outbox[0].body
    someone_else = make_user("sam")
    with pytest.raises(ValidationError, match="sent to oscar@example.com"):
        services.invitation_accept(token=token, user=someone_else)
    services.invitation_accept(token=token, user=outsider)
    assert Membership.objects.get(team=team, user=outsider).role == Role.MEMBER


def test_expired_and_revoked_invitations_are_refused(team, owner, outsider):
    expired, expired_token = services.invitation_create(team=team, actor=owner)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_token = services.invitation_create(team=team, actor=owner)
    services.invitation_revoke(invitation=revoked, actor=owner)
    services.invitation_revoke(invitation=revoked, actor=owner)  # twice is the same as once
    for token, reason in [(expired_token, "expired"), (revoked_token, "revoked"), ("not-a-token", "not valid")]:
        with pytest.raises(ValidationError, match=reason):
            services.invitation_accept(token=token, user=outsider)
    assert not Membership.objects.filter(team=team, user=outsider).exists()
    assert actions(team).count("invitation.revoked") == 1


def test_invitations_refuse_bad_roles_personal_teams_and_current_members(team, owner, member):
    with pytest.raises(ValidationError, match="Role must be"):
        services.invitation_create(team=team, actor=owner, role="superuser")
    with pytest.raises(ValidationError, match="personal"):
        services.invitation_create(team=owner.memberships.get(team__is_personal=True).team, actor=owner)
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_create(team=team, actor=owner, email=member.email)
    with pytest.raises(ValidationError, match="valid email"):
        services.invitation_create(team=team, actor=owner, email="not an email")
    assert not Invitation.objects.exists()


def test_a_member_already_in_the_team_cannot_accept_again(team, owner, member):
    _, token = services.invitation_create(team=team, actor=owner, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="already a member"):
        services.invitation_accept(token=token, user=member)
    assert Membership.objects.get(team=team, user=member).role == Role.MEMBER


def test_role_changes_are_audited_with_old_and_new_role(team, owner, member):
    services.member_role_change(
        membership=member.memberships.get(team=team), role=Role.ADMIN, actor=owner, ip="10.1.1.1"
    )
    services.member_role_change(membership=member.memberships.get(team=team), role=Role.ADMIN, actor=owner)  # no-op
    event = AuditEvent.objects.get(action="member.role_changed")
    assert (event.actor_label, event.target, event.ip) == ("olivia", "max", "10.1.1.1")
    assert event.data == {"old_role": "member", "new_role": "admin"}


def test_the_last_admin_can_neither_be_demoted_nor_removed_nor_leave(team, owner, member):
    own = owner.memberships.get(team=team)
    with pytest.raises(ValidationError, match="last admin"):
        services.member_role_change(membership=own, role=Role.MEMBER, actor=owner)
    with pytest.raises(ValidationError, match="last admin"):
        services.member_remove(membership=own, actor=owner)
    with pytest.raises(ValidationError, match="last admin"):
        services.member_leave(team=team, user=owner)
    assert owner.memberships.get(team=team).role == Role.ADMIN
    # With a second admin, the first may step down.
    services.member_role_change(membership=member.memberships.get(team=team), role=Role.ADMIN, actor=owner)
    services.member_role_change(membership=own, role=Role.VIEWER, actor=owner)
    assert owner.memberships.get(team=team).role == Role.VIEWER


def test_removal_and_leaving_are_audited_differently(team, owner, member, viewer):
    services.member_remove(membership=member.memberships.get(team=team), actor=owner, ip="10.0.0.9")
    services.member_leave(team=team, user=viewer)
    assert actions(team)[-2:] == ["member.removed", "member.left"]
    assert set(team.memberships.values_list("user__username", flat=True)) == {"olivia"}


def test_nobody_leaves_their_personal_entity(owner):
    personal = owner.memberships.get(team__is_personal=True).team
    with pytest.raises(ValidationError, match="personal"):
        services.member_leave(team=personal, user=owner)


def test_a_user_may_belong_to_many_teams(team, owner, outsider, other_team):
    _, token = services.invitation_create(team=team, actor=owner)
    services.invitation_accept(token=token, user=outsider)
    assert set(outsider.memberships.values_list("team__name", flat=True)) == {"oscar", "globex", "acme"}


def test_only_instance_admins_open_and_close_signup(owner, outsider):
    with pytest.raises(PermissionDenied):
        services.instance_signup_set(actor=outsider, signup_open=False)
    assert InstanceSettings.load().signup_open
    services.instance_signup_set(actor=owner, signup_open=False, ip="127.0.0.1")
    assert not InstanceSettings.load().signup_open
    assert AuditEvent.objects.filter(action="instance.signup_closed", actor=owner).exists()


def test_reserved_names_cannot_become_entities(owner):
    for name in ("teams", "api", "settings", "invite"):
        with pytest.raises(ValidationError):
            services.team_create(name=name, owner=owner)


def test_audit_events_are_append_only(team):
    event = AuditEvent.objects.filter(team=team).first()
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_an_email_gets_one_pending_invitation_at_a_time(team, owner):
    first, _ = services.invitation_create(team=team, actor=owner, email="pat@example.com")
    with pytest.raises(ValidationError, match="pending invitation"):
        services.invitation_create(team=team, actor=owner, email="PAT@example.com")
    services.invitation_revoke(invitation=first, actor=owner)
    services.invitation_create(team=team, actor=owner, email="pat@example.com")
    assert Invitation.objects.filter(email="pat@example.com").count() == 2


@pytest.mark.parametrize("name", ["sdk", "graphql", "files", "wandb-upload", "api", "teams", "settings", "share"])
def test_names_of_top_level_paths_are_reserved_for_teams_and_users(name, owner):
    from django.urls import resolve

    from teams.services import entity_name_taken, reserved_names

    assert name in reserved_names() and entity_name_taken(name)
    with pytest.raises(ValidationError):
        services.team_create(name=name, owner=owner)
    assert resolve("/acme/vision/").url_name == "workspace"  # an ordinary entity/project path is not reserved
