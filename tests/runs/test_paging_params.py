"""Paging numbers on the runs endpoints: out of range or not a number is a 400 naming the parameter."""

import json

import pytest

from tests.runs.ingest.test_rest import BASE, RUN, client_for, make_run

HUGE = "511351156078947195682816"


@pytest.fixture
def reader(member):
    client = client_for(member)
    make_run(client)
    return client


@pytest.mark.parametrize(
    "path, query, field",
    [
        (BASE, f"limit={HUGE}", "limit"),
        (BASE, "offset=-145", "offset"),
        (f"{RUN}/lines/", f"stream=events&offset={HUGE}", "offset"),
        (f"{RUN}/lines/", "stream=output&limit=0", "limit"),
        (f"{RUN}/lines/", "stream=output&limit=10001", "limit"),
        (f"{RUN}/history/", f"min_step={HUGE}", "min_step"),
        (f"{RUN}/history/", "max_step=1e9", "max_step"),
        ("/api/v1/teams/acme/projects/demo/runs-table/", f"offset={HUGE}", "offset"),
        ("/api/v1/teams/acme/projects/demo/runs-table/", "limit=-1", "limit"),
    ],
)
def test_bad_paging_numbers_are_a_400_naming_the_parameter(reader, path, query, field):
    response = reader.get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert "Must be" in response.json()["errors"][field][0]


def test_good_paging_numbers_still_page(reader):
    lines = {"stream": "history", "offset": 0, "lines": [{"_step": s, "loss": s} for s in range(5)]}
    reader.post(f"{RUN}/lines/", json.dumps(lines), content_type="application/json")
    page = reader.get(f"{RUN}/history/?limit=2&min_step=1").json()
    assert [row["_step"] for row in page["rows"]] == [1, 2] and page["next_min_step"] == 3
    assert reader.get(f"{BASE}?limit=1&offset=0").json()["count"] == 1
