"""Celery tasks of the runs app.

Placeholder: replaced by the table branch, which owns derived data (the runs
table's summary columns and panel series). Ingestion calls
enqueue_derived_refresh(run_id) inside its transaction after every successful
write; until the table branch lands there is nothing derived to refresh.
"""


def enqueue_derived_refresh(run_id: int) -> None:
    """Schedule a refresh of the run's derived data once the transaction commits. No-op for now."""
    return None
