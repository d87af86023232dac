"""drf-spectacular postprocessing: every API operation documents its error answers.

Views declare their success responses; the errors are the same everywhere (one
JSON shape from accounts.api.exceptions: {"detail": …, "errors": {field: […]}}),
so they are added here once instead of on every view. Where a view documents an
error status with a body of its own (a failed SSO test, say), that status may
still carry the standard error too (invalid input): its schema becomes anyOf both.
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for a person to read."},
        "errors": {
            "type": "object",
            "description": "Per field (or non_field_errors), the problems found. Present on 400.",
            "additionalProperties": True,
        },
    },
    "required": ["detail"],
}
ERRORS = {
    "400": "The input is invalid; `errors` names each field and its problem.",
    "401": "No valid credentials: a missing, malformed, expired or revoked API key or session.",
    "403": "Authenticated, but this role or key scope may not do this (or a CSRF token is missing).",
    "404": "No such object, or it belongs to a team the caller is not in.",
    "413": "The request body is over the size limit.",
    "415": "The body's Content-Type is not one this operation reads (see its request body), or the body does not parse as it.",
    "429": "Too many requests or failed key attempts; retry after `Retry-After` seconds.",
}
WRITE_METHODS = {"post", "put", "patch"}
BODY_ERRORS = {"413", "415"}  # answers about a request body: only where one is sent
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _allow_standard_error(response: dict) -> None:
    media = response.get("content", {}).get("application/json")
    if not media or "schema" not in media or media["schema"] == ERROR_REF:
        return
    media["schema"] = {"anyOf": [media["schema"], dict(ERROR_REF)]}


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                if status in BODY_ERRORS and method not in WRITE_METHODS:
                    continue
                if status in responses:
                    _allow_standard_error(responses[status])
                    continue
                responses[status] = {
                    "description": description,
                    "content": {"application/json": {"schema": dict(ERROR_REF)}},
                }
    return result
