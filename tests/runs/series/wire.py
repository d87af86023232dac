"""The series answer as a client reads it: runs.series.query.answer rendered by the API's renderer and parsed."""

import orjson

from runs.series import query
from runs.series.views import FastJSONRenderer


def answer(*args, **kwargs) -> dict:
    return orjson.loads(FastJSONRenderer().render(query.answer(*args, **kwargs)))
