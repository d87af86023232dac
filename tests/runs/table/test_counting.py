"""How the runs table counts: exact within the budget, else PostgreSQL's estimate, said to be one."""

from django.db import connection
from django.test import override_settings

from runs.models import Run
from runs.table import counting

from .test_views import get, project, url  # noqa: F401  (the fixture)


def test_a_quick_count_is_exact_and_says_so(api, owner, project):  # noqa: F811
    data = get(api, owner, url(project), filters='{"config.optimizer": "adam"}').json()
    assert (data["count"], data["count_exact"]) == (3, True)
    assert get(api, owner, url(project), count="exact").json()["count_exact"] is True
    skipped = get(api, owner, url(project), count="false").json()
    assert (skipped["count"], skipped["count_exact"], skipped["has_more"]) == (None, None, False)


def test_a_count_parameter_it_does_not_take_is_a_400(api, owner, project):  # noqa: F811
    response = get(api, owner, url(project), count="roughly")
    assert response.status_code == 400
    assert "true, false or exact" in response.content.decode()


@override_settings(SEXTANT_TABLE_COUNT_BUDGET_MS=1)
def test_a_count_over_budget_is_an_estimate_unless_exact_is_asked(project):  # noqa: F811
    runs = Run.objects.filter(project=project)
    if connection.vendor == "postgresql":
        slow = runs.extra(where=["pg_sleep(0.01) IS NOT NULL"])  # 5 runs x 10 ms: past a 1 ms budget
        total, exact = counting.count(slow)
        assert exact is False and total >= 0  # the planner's estimate, not a scan
        assert counting.count(slow, exact=True) == (5, True)
        # The budget was the count's own: the connection's timeout is as it was.
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
    else:
        assert counting.count(runs) == (5, True)  # SQLite always counts exactly


@override_settings(SEXTANT_TABLE_COUNT_ESTIMATE_OVER=0)
def test_a_selection_estimated_huge_is_not_counted_and_the_api_says_about(api, owner, project):  # noqa: F811
    data = get(api, owner, url(project), limit=2).json()
    if connection.vendor == "postgresql":
        assert data["count_exact"] is False and data["count"] >= 0 and data["has_more"] is True
        exact = get(api, owner, url(project), limit=2, count="exact").json()
        assert (exact["count"], exact["count_exact"]) == (5, True)
    else:
        assert (data["count"], data["count_exact"]) == (5, True)
