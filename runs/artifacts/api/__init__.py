"""The artifacts REST API: types, collections, versions, files, diffs and the registry (/api/v1/…)."""
