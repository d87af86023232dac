"""Indexes for the runs table on PostgreSQL (SQLite has no use for them).

GIN (jsonb_path_ops) on config, summary and tags answers the `@>` conjunct
runs.filters emits for equality filters and tag filters; (project, created_at)
serves the default order, newest first, one project at a time.
"""

from django.db import migrations

INDEXES = {
    "runs_run_config_gin": "CREATE INDEX IF NOT EXISTS runs_run_config_gin ON runs_run USING gin (config jsonb_path_ops)",
    "runs_run_summary_gin": "CREATE INDEX IF NOT EXISTS runs_run_summary_gin ON runs_run USING gin (summary jsonb_path_ops)",
    "runs_run_tags_gin": "CREATE INDEX IF NOT EXISTS runs_run_tags_gin ON runs_run USING gin (tags jsonb_path_ops)",
    "runs_run_project_created": (
        "CREATE INDEX IF NOT EXISTS runs_run_project_created ON runs_run (project_id, created_at DESC, id)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in INDEXES.values():
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("runs", "0004_runs_table_saved_views_and_columns")]
    operations = [migrations.RunPython(create, drop)]
