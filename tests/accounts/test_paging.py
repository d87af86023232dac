"""Paging parameters: out-of-range or malformed numbers are a 400 naming the parameter, never a 500."""

import pytest
from rest_framework.exceptions import ValidationError

from accounts.paging import MAX_OFFSET, MAX_PAGE_SIZE, int_param


@pytest.mark.parametrize(
    "raw, expected",
    [(None, 7), ("", 7), ("0", 0), ("25", 25), (" 3 ", 3), ("+4", 4), (str(MAX_OFFSET), MAX_OFFSET)],
)
def test_int_param_reads_whole_numbers_in_range(raw, expected):
    params = {} if raw is None else {"offset": raw}
    assert int_param(params, "offset", default=7, minimum=0, maximum=MAX_OFFSET) == expected


@pytest.mark.parametrize(
    "raw", ["-1", "511351156078947195682816", "1e3", "1_000", "٣", "abc", "2.5", str(MAX_OFFSET + 1)]
)
def test_int_param_refuses_with_the_name_and_range(raw):
    with pytest.raises(ValidationError) as caught:
        int_param({"offset": raw}, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
    message = str(caught.value.detail["offset"][0])
    assert f"from 0 to {MAX_OFFSET}" in message


@pytest.mark.parametrize(
    "query, field",
    [
        ("offset=-145&limit=511351156078947195682816", "limit"),  # the case schemathesis found (a 500 before)
        ("offset=-145", "offset"),
        ("limit=0", "limit"),
        (f"limit={MAX_PAGE_SIZE + 1}", "limit"),
        ("offset=99999999999999999999", "offset"),
        ("limit=ten", "limit"),
    ],
)
def test_audit_log_refuses_bad_paging_with_a_400(api, owner, team, query, field):
    api.force_login(owner)
    response = api.get(f"/api/v1/teams/acme/audit-log/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert field in body["errors"] and "Must be" in body["errors"][field][0]


def test_valid_paging_still_pages(api, owner, team, member, viewer):
    api.force_login(owner)
    first = api.get("/api/v1/teams/acme/members/?limit=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    rest = api.get("/api/v1/teams/acme/members/?limit=2&offset=2").json()
    assert len(rest["results"]) == 1 and rest["next"] is None


def test_paging_bounds_are_in_the_openapi_schema(api, owner):
    api.force_login(owner)
    schema = api.get("/api/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/teams/{team}/audit-log/"]["get"]["parameters"]}
    assert params["limit"]["schema"]["maximum"] == MAX_PAGE_SIZE and params["offset"]["schema"]["minimum"] == 0
