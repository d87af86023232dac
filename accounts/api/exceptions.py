"""One JSON error shape for the whole API: {"detail": ..., "errors": {field: [...]}}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler


def json_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})
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
