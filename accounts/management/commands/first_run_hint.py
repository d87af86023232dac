from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Print how to reach the server and create or log in as the first admin."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port, **options):
        url = f"http://127.0.0.1:{port}"
        admin = User.objects.filter(is_superuser=True, kind=User.Kind.HUMAN).order_by("id").first()
        if admin is None:
            self.stdout.write(
                f"Sextant is starting at {url}\n"
                f"No account exists yet: open {url}/signup/ - the first account becomes the instance admin.\n"
                "Headless: .venv/bin/python manage.py create_user --email you@example.com --username you --password ..."
            )
        else:
            self.stdout.write(f"Sextant is starting at {url} - log in at {url}/login/ as {admin.username}.")
