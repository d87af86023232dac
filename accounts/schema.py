"""OpenAPI description of API key authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = ["apiKeyBearer", "apiKeyBasic"]

    def get_security_requirement(self, auto_schema):
        return [{"apiKeyBearer": []}, {"apiKeyBasic": []}]  # either one

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "sxt_pk-… (personal) or sxt_sa-… (service account)",
                "description": "An API key: `Authorization: Bearer <key>`. Scopes: full, ingest, read.",
            },
            {
                "type": "http",
                "scheme": "basic",
                "description": "What the wandb SDK sends: user `api`, the API key as password.",
            },
        ]
