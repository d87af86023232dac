"""Hot summary keys get an expression index that the runs table's sort and range filters use (PostgreSQL)."""

import pytest
from django.db import connection

from runs.derived import indexes, tasks
from runs.models import Project, ProjectKey, Run
from runs.table import table
from runs.table.query import parse_table_query

pytestmark = pytest.mark.django_db(transaction=True)  # CREATE INDEX CONCURRENTLY cannot run in a transaction


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        assert indexes.ensure_key_indexes() == []  # a no-op on SQLite
        pytest.skip("expression indexes are a PostgreSQL feature; SQLite scans (run with DATABASE_URL to test)")


def test_hot_keys_are_indexed_and_used(postgresql, team):
    project = Project.objects.create(team=team, name="p")
    Run.objects.bulk_create(
        [
            Run(project=project, run_id=f"r{i}", display_name="r", summary={"loss": i / 7, "acc": (i % 10) / 10})
            for i in range(3000)
        ]
    )
    ProjectKey.objects.create(project=project, source="summary", key="loss", type="number")
    ProjectKey.objects.create(project=project, source="summary", key="it's", type="number")
    assert tasks.ensure_key_indexes() == 2
    assert tasks.ensure_key_indexes() == 0  # already there
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE runs_run")
    query = parse_table_query({"filters": '{"summary_metrics.acc": {"$gt": 0.5}}', "order": "summary_metrics.loss"})
    runs = table.runs_for_table(project, query)[:50]
    sql, params = runs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert indexes.index_name("loss") in plan
    assert [r.run_id for r in runs][:3] == ["r6", "r7", "r8"]
