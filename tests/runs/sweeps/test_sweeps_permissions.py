"""Tenancy of the sweep operations in the shared permission table (tests/permissions.py).

`foreign` asks for globex's sweep, agent or run with acme's owner's key: not found.
"""

import pytest

from runs.ingest.wandb.wire import opaque_id
from runs.models import Project, Run
from runs.sweeps import services
from tests.permissions import GraphQLOperation, admin_of, check_graphql_permission, graphql_cases

pytestmark = pytest.mark.django_db
GRID = "method: grid\nparameters:\n  x: {values: [1, 2, 3]}\n"


def a_sweep(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    sweep, _ = services.sweep_create(project=project, actor=admin_of(team), config_yaml=GRID)
    return sweep


def an_agent(team):
    sweep = a_sweep(team)
    return services.agent_create(sweep=sweep, actor=admin_of(team), host="box")


def a_run(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    return Run.objects.create(project=project, run_id="r1", display_name="r1", author=admin_of(team))


OPERATIONS = [
    GraphQLOperation(
        "UpsertSweep",
        "mutation UpsertSweep($config: String, $entityName: String, $projectName: String) { upsertSweep(input: "
        "{config: $config, entityName: $entityName, projectName: $projectName}) "
        "{ sweep { name project { name entity { name } } } configValidationWarnings } }",
        "member",
        variables=lambda team, made: {"config": GRID, "entityName": team.name, "projectName": "demo"},
    ),
    GraphQLOperation(
        "UpsertSweepState",
        "mutation UpsertSweepState($id: ID!, $state: String!) { upsertSweep(input: {id: $id, state: $state}) "
        "{ sweep { state } } }",
        "member",
        variables=lambda team, sweep: {"id": opaque_id("Sweep", sweep.pk), "state": "PAUSED"},
        setup=a_sweep,
    ),
    GraphQLOperation(
        "SweepWithRuns",
        "query SweepWithRuns($entity: String, $project: String, $sweep: String!) { project(name: $project, "
        "entityName: $entity) { sweep(sweepName: $sweep) { id name state config bestLoss runCountExpected "
        "runs { edges { node { name state shouldStop stopped exitcode } } } agents { edges { node { id } } } } } }",
        "viewer",
        variables=lambda team, sweep: {"entity": team.name, "project": "demo", "sweep": sweep.name},
        setup=a_sweep,
    ),
    GraphQLOperation(
        "GetSweeps",
        "query GetSweeps($project: String!, $entity: String!) { project(name: $project, entityName: $entity) "
        "{ totalSweeps sweeps { edges { node { name runCount } } pageInfo { hasNextPage } } } }",
        "viewer",
        variables=lambda team, sweep: {"entity": team.name, "project": "demo"},
        setup=a_sweep,
    ),
    GraphQLOperation(
        "CreateAgent",
        "mutation CreateAgent($host: String!, $projectName: String, $entityName: String, $sweep: String!) "
        "{ createAgent(input: {host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep}) "
        "{ agent { id } } }",
        "member",
        variables=lambda team, sweep: {
            "host": "box",
            "entityName": team.name,
            "projectName": "demo",
            "sweep": sweep.name,
        },
        setup=a_sweep,
        ingest=True,
    ),
    GraphQLOperation(
        "Heartbeat",
        "mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) { agentHeartbeat(input: "
        "{id: $id, metrics: $metrics, runState: $runState}) { agent { id } commands } }",
        "member",
        variables=lambda team, agent: {"id": opaque_id("Agent", agent.pk), "metrics": "{}", "runState": "{}"},
        setup=an_agent,
        ingest=True,
    ),
    GraphQLOperation(
        "StopRun",
        "mutation StopRun($id: ID!) { stopRun(input: {id: $id}) { success } }",
        "member",
        variables=lambda team, run: {"id": opaque_id("Run", run.pk)},
        setup=a_run,
    ),
]


@pytest.mark.parametrize("row, caller", graphql_cases(OPERATIONS))
def test_sweep_operations_permission_table(row, caller, people, team, other_team):
    check_graphql_permission(row, caller, people=people, team=team, other_team=other_team)
