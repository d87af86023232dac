import pytest

pytestmark = pytest.mark.django_db


def test_every_key_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    wanted = {
        "/api/v1/keys/": {"get", "post"},
        "/api/v1/keys/{key_id}/": {"delete"},
        "/api/v1/keys/{key_id}/rotate/": {"post"},
        "/api/v1/teams/{team}/service-accounts/": {"get", "post"},
        "/api/v1/teams/{team}/service-accounts/{name}/": {"delete"},
        "/api/v1/teams/{team}/service-accounts/{name}/keys/": {"get", "post"},
        "/api/v1/teams/{team}/service-accounts/{name}/keys/{key_id}/": {"delete"},
        "/api/v1/teams/{team}/service-accounts/{name}/keys/{key_id}/rotate/": {"post"},
        "/api/v1/teams/{team}/service-key-policy/": {"get", "put"},
    }
    for path, methods in wanted.items():
        assert methods <= set(paths[path]), path
    created = paths["/api/v1/keys/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "key" in schema["components"]["schemas"][created.rsplit("/", 1)[1]]["properties"]
    assert {"apiKeyBearer", "apiKeyBasic"} <= set(schema["components"]["securitySchemes"])
    assert {"apiKeyBearer": []} in paths["/api/v1/keys/"]["get"]["security"]
