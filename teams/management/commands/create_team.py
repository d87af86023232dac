from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from teams import services

from ._output import as_command_error, emit


class Command(BaseCommand):
    help = "Create a team owned (as admin) by an existing user. Prints one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner", required=True, help="Username or email of the owner.")

    def handle(self, *args, name, owner, **options):
        field = "email__iexact" if "@" in owner else "username"
        user = User.objects.filter(**{field: owner.strip().lower()}, kind=User.Kind.HUMAN).first()
        if user is None:
            raise CommandError(f"owner: no user {owner!r}.")
        try:
            team = services.team_create(name=name, owner=user)
        except ValidationError as exc:
            raise as_command_error(exc) from None
        emit(self, {"id": team.pk, "name": team.name, "owner": user.username})
