"""Show or set a team's artifact storage quota.

python manage.py artifacts_quota <team>                 # usage and quota
python manage.py artifacts_quota <team> 50000000000     # its own quota, in bytes
python manage.py artifacts_quota <team> none            # no limit for this team
python manage.py artifacts_quota <team> default         # back to SEXTANT_ARTIFACT_QUOTA_BYTES
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from runs.artifacts import quota
from runs.artifacts.models import ArtifactQuota
from teams.models import Team


class Command(BaseCommand):
    help = "Show or set a team's artifact storage quota (bytes, 'none' or 'default')."

    def add_arguments(self, parser):
        parser.add_argument("team")
        parser.add_argument("quota", nargs="?", help="bytes, 'none' (no limit) or 'default'")

    def handle(self, *args, team, quota=None, **options):
        found = Team.objects.filter(name=team).first()
        if found is None:
            raise CommandError(f"No team named {team!r}.")
        if quota == "default":
            ArtifactQuota.objects.filter(team=found).delete()
        elif quota is not None:
            try:
                value = None if quota == "none" else int(quota)
                _set(found, value)
            except (ValueError, ValidationError) as exc:
                raise CommandError(f"The quota must be a number of bytes, 'none' or 'default' ({exc}).") from None
        usage = _usage(found)
        self.stdout.write(f"{found.name}: {usage['bytes']} bytes in {usage['blobs']} blob(s), quota {usage['quota']}")


def _set(team, value):
    quota.quota_set(team_id=team.pk, max_bytes=value)


def _usage(team):
    usage = quota.team_usage(team.pk)
    limit = quota.team_quota(team.pk)
    return {**usage, "quota": "none" if limit is None else f"{limit} bytes"}
