import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from teams import service_accounts
from teams.models import Team


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


class Command(BaseCommand):
    help = "Create a service account in a team. Prints one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("--team", required=True)
        parser.add_argument("--name", required=True)

    def handle(self, *args, team, name, **options):
        team_obj = Team.objects.filter(name=team).first()
        if team_obj is None:
            raise CommandError(f"No team called {team!r}.")
        try:
            account = service_accounts.service_account_create(team=team_obj, name=name, actor=None)
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        self.stdout.write(
            json.dumps(
                {
                    "team": team_obj.name,
                    "name": service_accounts.service_account_name(account),
                    "username": account.username,
                }
            )
        )
