from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from teams import services
from teams.models import Role, Team

from ._output import as_command_error, emit


class Command(BaseCommand):
    help = "Add an existing user to a team with a role. Prints one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True)
        parser.add_argument("--user", required=True, help="Username or email.")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, team, user, role, **options):
        team_obj = Team.objects.filter(name=team.strip().lower()).first()
        if team_obj is None:
            raise CommandError(f"team: no team {team!r}.")
        field = "email__iexact" if "@" in user else "username"
        user_obj = User.objects.filter(**{field: user.strip().lower()}).first()
        if user_obj is None:
            raise CommandError(f"user: no user {user!r}.")
        try:
            membership = services.member_add(team=team_obj, user=user_obj, role=role)
        except ValidationError as exc:
            raise as_command_error(exc) from None
        emit(self, {"team": team_obj.name, "user": user_obj.username, "role": membership.role})
