"""The GraphQL operations wandb.Api() uses beyond logging, in the shared permission table.

Rows that name a run use its opaque id, as the SDK does: `foreign` asks for
globex's run (or entity) with acme's owner's key.
"""

import pytest

from runs.ingest.wandb.wire import opaque_id as _opaque_id
from runs.models import Project, Run, RunLine
from tests.permissions import GraphQLOperation, admin_of, check_graphql_permission, graphql_cases

pytestmark = pytest.mark.django_db


def a_run(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    run = Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", author=admin_of(team))
    RunLine.objects.create(run=run, stream=RunLine.Stream.OUTPUT, idx=0, data="2026-11-27T17:20:51.695233 hello")
    for step in range(3):
        RunLine.objects.create(run=run, stream=RunLine.Stream.HISTORY, idx=step, step=step, data=f'{{"_step": {step}}}')
    return run


def by_id(team, run):
    return {"id": _opaque_id("Run", run.pk)}


def named(team, made):
    return {"entity": team.name, "project": "demo", "name": "r1"}


OPERATIONS = [
    GraphQLOperation(
        "GetProjects",
        "query GetProjects($entity: String) { models(entityName: $entity) { edges { node { name } } } }",
        "viewer",
        variables=lambda team, made: {"entity": team.name},
        setup=a_run,
    ),
    GraphQLOperation(
        "GetProject",
        "query GetProject($name: String!, $entity: String!) { project(name: $name, entityName: $entity) "
        "{ name isBenchmark user { username } } }",
        "viewer",
        variables=lambda team, made: {"entity": team.name, "name": "demo"},
        setup=a_run,
    ),
    GraphQLOperation(
        "CreateProject",
        "mutation CreateProject($input: UpsertModelInput!) { upsertModel(input: $input) { project { name } inserted } }",
        "member",
        variables=lambda team, made: {"input": {"name": "fresh", "entityName": team.name}},
    ),
    GraphQLOperation(
        "GetTeamEntity",
        "query GetTeamEntity($name: String!) { entity(name: $name) { name storageBytes members { username apiKey } } }",
        "viewer",
        variables=lambda team, made: {"name": team.name},
    ),
    GraphQLOperation(
        "UpsertBucket",
        "mutation UpsertBucket($id: String, $notes: String) { upsertBucket(input: {id: $id, notes: $notes}) "
        "{ bucket { id notes } inserted } }",
        "member",
        variables=lambda team, run: {**by_id(team, run), "notes": "edited"},
        setup=a_run,
        ingest=True,
    ),
    GraphQLOperation(
        "DeleteRun",
        "mutation DeleteRun($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }",
        "member",
        variables=by_id,
        setup=a_run,
    ),
    GraphQLOperation(
        "UpdateRunState",
        "mutation UpdateRunState($input: UpdateRunStateInput!) { updateRunState(input: $input) { success } }",
        "member",
        variables=lambda team, run: {"input": {**by_id(team, run), "state": "failed"}},
        setup=a_run,
    ),
    GraphQLOperation(
        "RewindRun",
        "mutation RewindRun($runName: String!, $entity: String, $project: String) { rewindRun(input: "
        '{runName: $runName, entityName: $entity, projectName: $project, metricName: "_step", metricValue: 1}) '
        "{ rewoundRun { id historyLineCount } } }",
        "member",
        variables=lambda team, made: {"entity": team.name, "project": "demo", "runName": "r1"},
        setup=a_run,
        ingest=True,  # part of starting a run
    ),
    GraphQLOperation(
        "RunConsoleLogPage",
        "query RunConsoleLogPage($entity: String!, $project: String!, $name: String!) { project(name: $project, "
        "entityName: $entity) { run(name: $name) { logLines(first: 10, useImprovedPagination: true) "
        "{ edges { node { number line } } } } } }",
        "viewer",
        variables=named,
        setup=a_run,
    ),
    GraphQLOperation(
        "SearchUsers",
        "query SearchUsers($query: String) { users(query: $query) { edges { node { username } } } }",
        "instance_admin",
        variables=lambda team, made: {"query": "o"},
        team_scoped=False,
    ),
    GraphQLOperation(
        "GetViewer",
        "query GetViewer { viewer { username apiKeys { edges { node { name } } } } }",
        "user",
        variables=lambda team, made: {},
        ingest=True,  # wandb.init asks who the key belongs to
        team_scoped=False,
    ),
    GraphQLOperation(
        "FetchOrganization",
        "query FetchOrganization($org: String!) { organization(name: $org) { id name } }",
        "user",
        variables=lambda team, made: {"org": team.name},
        ingest=True,  # always null: there is nothing to read
        team_scoped=False,
    ),
]


@pytest.mark.parametrize("row, caller", graphql_cases(OPERATIONS))
def test_graphql_permission_table(row, caller, people, team, other_team):
    check_graphql_permission(row, caller, people=people, team=team, other_team=other_team)
