"""What a page shows for a panel: the cached data at once, and a recompute asked for when it is stale."""

from .models import Panel
from .panel_cache import cached
from .panel_compute import data_version
from .tasks import enqueue_compute


def panel_data(panel: Panel) -> dict:
    """{"status": fresh|stale|pending, "data": ..., "computed_at": ...}.

    Answers from the cache at once. When the cached data is older than the
    runs (or missing) it asks a worker to recompute, once per version; on the
    embedded default the task runs in-process, so the answer is fresh.
    """
    version = data_version(panel)
    entry = cached(panel.pk)
    if not (entry and entry.get("version") == version):
        enqueue_compute(panel.pk, version)
        entry = cached(panel.pk)
    if entry is None:
        return {"status": "pending", "data": None, "computed_at": None}
    status = "fresh" if entry.get("version") == version else "stale"
    return {"status": status, "data": entry["data"], "computed_at": entry["computed_at"]}
