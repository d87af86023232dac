import logging

import django.db.models.deletion
from django.db import migrations, models

logger = logging.getLogger(__name__)

# Trigram indexes for the runs table's search (runs.table.table.search_q: UPPER(column::text) LIKE
# UPPER('%text%') over the name, display name, notes and tags), so a search in a project of a
# million runs reads the index instead of every run. pg_trgm ships with PostgreSQL and is a
# trusted extension (the database's owner may create it); where it cannot be created the search
# keeps working, by a scan.
TRIGRAM_INDEXES = {
    "runs_run_run_id_trgm": "UPPER(run_id::text)",
    "runs_run_display_name_trgm": "UPPER(display_name::text)",
    "runs_run_notes_trgm": "UPPER(notes::text)",
    "runs_run_tags_trgm": "UPPER(tags::text)",
}


def add_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # not allowed here: searching falls back to a scan
            logger.warning("pg_trgm could not be created; the runs table's search will scan", exc_info=True)
            return
        for name, expression in TRIGRAM_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON runs_run USING gin (({expression}) gin_trgm_ops)"
            )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the runs table stays writable while they build

    dependencies = [
        ("runs", "0013_workspace_layouts"),
    ]

    operations = [
        # The lines table drops its foreign key (a check per inserted row at commit) and the
        # index on run_id alone (unique_run_stream_idx starts with it): see RunLine.run.
        migrations.AlterField(
            model_name="runline",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="lines",
                to="runs.run",
            ),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes, elidable=False),
    ]
