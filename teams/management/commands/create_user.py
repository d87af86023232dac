from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.core.validators import validate_email

from teams import services

from ._output import as_command_error, emit


class Command(BaseCommand):
    help = "Create a user (the first one becomes the instance admin). Prints one JSON object."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", help="Omit for an account that must reset its password to log in.")

    def handle(self, *args, email, username, password=None, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise as_command_error(ValidationError({"email": ["Enter a valid email address."]})) from None
        try:
            if password:
                validate_password(password)
            user = services.user_create(username=username, email=email, password=password)
        except ValidationError as exc:
            raise as_command_error(exc) from None
        emit(
            self,
            {"id": user.pk, "username": user.username, "email": user.email, "is_instance_admin": user.is_superuser},
        )
