import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from accounts import services as key_services
from accounts.models import ApiKey, User
from teams import service_accounts
from teams.models import Team

from .create_service_account import validation_message


class Command(BaseCommand):
    help = (
        "Create an API key for a user (--user) or a team's service account (--team, --service-account). "
        "Prints one JSON object holding the key: it is shown this once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username or email of a human user (a personal key)")
        parser.add_argument("--team")
        parser.add_argument("--service-account", dest="service_account")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", choices=ApiKey.Scope.values, default=ApiKey.Scope.FULL)
        parser.add_argument("--expires-in-days", dest="expires_in_days", type=int)

    def handle(self, *args, user, team, service_account, name, scope, expires_in_days, **options):
        if bool(user) == bool(team or service_account):
            raise CommandError("Give either --user U, or --team T with --service-account S.")
        try:
            if user:
                issued = key_services.api_key_create(
                    actor=self._human(user), name=name, scope=scope, expires_in_days=expires_in_days
                )
            else:
                if not (team and service_account):
                    raise CommandError("A service-account key needs both --team and --service-account.")
                team_obj = Team.objects.filter(name=team).first()
                if team_obj is None:
                    raise CommandError(f"No team called {team!r}.")
                try:
                    account = service_accounts.service_account_of(team_obj, service_account)
                except Http404:
                    raise CommandError(f"Team {team!r} has no service account called {service_account!r}.") from None
                issued = service_accounts.service_account_key_create(
                    team=team_obj, account=account, name=name, scope=scope, expires_in_days=expires_in_days, actor=None
                )
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from None
        key = issued.api_key
        self.stdout.write(
            json.dumps(
                {
                    "id": key.pk,
                    "user": key.user.username,
                    "name": key.name,
                    "scope": key.scope,
                    "hint": key.hint,
                    "expires_at": key.expires_at.isoformat() if key.expires_at else None,
                    "key": issued.key,
                }
            )
        )

    def _human(self, login: str) -> User:
        field = "email__iexact" if "@" in login else "username__iexact"
        user = User.objects.filter(**{field: login}, kind=User.Kind.HUMAN).first()
        if user is None:
            raise CommandError(f"No user {login!r}.")
        return user
