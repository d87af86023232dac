"""One JSON error shape for the whole API: {"detail": ..., "errors": {field: [...]}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        # A plain message (no field) is about the request as a whole: say it as the detail.
        errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        if "__all__" in errors:
            errors["non_field_errors"] = errors.pop("__all__")
        exc = exceptions.ValidationError(errors)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict):
            fields = ", ".join(sorted(str(k) for k in data.keys() if k != "non_field_errors"))
            detail = f"Invalid input: {fields}." if fields else "Invalid input."
            if "non_field_errors" in data and not fields:
                detail = " ".join(str(m) for m in data["non_field_errors"])
            response.data = {"detail": detail, "errors": data}
        else:
            response.data = {"detail": "Invalid input.", "errors": {"non_field_errors": data}}
    return response
