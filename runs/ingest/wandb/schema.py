"""The GraphQL schema and its root resolvers, composed from the core protocol and feature files.

A feature registers with one line in each list: its SDL file (new types and
`extend type Query { … }` / `extend type Mutation { … }`) in SDL_FILES, its
resolver mixin (methods named like the fields, using `self._caller`) in
QUERY_MIXINS or MUTATION_MIXINS. The feature's module imports from
runs.ingest.wandb.wire (Caller, ids, cursors) and .graphql (nodes, access
helpers), never from here.
"""

import functools
from pathlib import Path

from graphql import GraphQLError, build_schema, parse, validate
from graphql.language import DocumentNode

from ... import jsonvalues
from ...alerts import graphql as alerts
from ...artifacts import graphql as artifacts
from ...sweeps import graphql as sweeps
from . import graphql as core
from . import public_api

SDL_FILES: list[Path] = [
    Path(__file__).parent / "schema.graphql",
    Path(__file__).parent / "public_api.graphql",
    artifacts.SDL_FILE,
    alerts.SDL_FILE,
    sweeps.SDL_FILE,
]
QUERY_MIXINS: list[type] = [public_api.PublicApiQueries, artifacts.ArtifactQueries, sweeps.SweepQueries]
MUTATION_MIXINS: list[type] = [
    public_api.PublicApiMutations,
    artifacts.ArtifactMutations,
    alerts.AlertMutations,
    sweeps.SweepMutations,
]


class Query(*QUERY_MIXINS, core.QueryRoot):
    """The root value of a query: the core fields plus every registered feature's."""


class Mutation(*MUTATION_MIXINS, core.MutationRoot):
    """The root value of a mutation: the core fields plus every registered feature's."""


SCHEMA = build_schema("\n\n".join(path.read_text() for path in SDL_FILES))
artifacts.configure(SCHEMA)  # resolvers of the fields artifacts adds to Project and Run, abstract types
sweeps.configure(SCHEMA)  # the fields sweeps add to Project and Run


def _json_string(value):
    return value if isinstance(value, str) else jsonvalues.dumps(value)


def _int64(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError("Int64 must be an integer.")
    return value


SCHEMA.type_map["JSONString"].serialize = _json_string
SCHEMA.type_map["JSON"].serialize = lambda value: value
SCHEMA.type_map["Int64"].serialize = _int64
SCHEMA.type_map["Int64"].parse_value = _int64
SCHEMA.type_map["DateTime"].serialize = lambda value: value.strftime("%Y-%m-%dT%H:%M:%S") if value else None


@functools.lru_cache(maxsize=256)
def parsed_document(source: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """Parse and validate a document once; the SDK sends the same few again and again."""
    try:
        document = parse(source)
    except GraphQLError as error:
        return None, (error,)
    errors = validate(SCHEMA, document)
    return (None, tuple(errors)) if errors else (document, ())
