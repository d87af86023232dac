"""Why each failing wandb system test fails against Sextant, by category.

Rules are (needle, category, why): the first whose needle is in the test's id or
its failure message wins. Categories:

- too old: the tree is v0.28.2's and runs on wandb 0.31.0; the test reaches
  into SDK internals or messages that changed since (it fails on W&B's own
  server too with this SDK).
- stand-in: the test relies on W&B's test backend itself (API keys that are
  the username), which the stand-in fixture service does not pretend to be.
- environment: needs something the suite's machine has not (the internet, a
  file the mirror lacks).
- not in Sextant: a W&B feature Sextant does not have (organisations, …).
- gap: Sextant answers differently or not at all where W&B's server does: work
  left on sweeps and artifacts, each named.
- not yet explained: seen, not yet investigated.
"""

TOO_OLD = "too old"
STAND_IN = "stand-in"
ENVIRONMENT = "environment"
NOT_IN_SEXTANT = "not in Sextant"
GAP = "gap"
UNEXPLAINED = "not yet explained"

RULES: list[tuple[str, str, str]] = [
    # --- the test tree is three minor versions older than the SDK ---------------------
    ("x_server_side_expand_glob_metrics", TOO_OLD, "setting x_server_side_expand_glob_metrics removed in 0.31"),
    ("artifact_saver", TOO_OLD, "wandb.sdk.artifacts.artifact_saver removed in 0.31"),
    ("internal_api", TOO_OLD, "wandb.sdk.internal.internal_api removed in 0.31"),
    ("tb_watcher", TOO_OLD, "wandb.sdk.internal.tb_watcher removed in 0.31"),
    ("InternalApi", TOO_OLD, "wandb.apis.InternalApi removed in 0.31"),
    ("_get_cling_api", TOO_OLD, "wandb.cli.cli._get_cling_api removed in 0.31"),
    ("cannot import name 'internal' from 'wandb.apis'", TOO_OLD, "wandb.apis.internal removed in 0.31"),
    ("wandb.filesync", TOO_OLD, "wandb.filesync removed in 0.31"),
    ("has no attribute 'project_name'", TOO_OLD, "Run.project_name removed in 0.31"),
    ("has no attribute 'get_", TOO_OLD, "Run.get_url / get_project_url / get_sweep_url removed in 0.31"),
    ("test_resume__offline__warns", TOO_OLD, "0.31 words the offline-resume warning differently"),
    ("test_sagemaker_key", TOO_OLD, "0.31 no longer reads WANDB_API_KEY from SageMaker's secrets.env this way"),
    (
        "test_public_api::test_create_team",
        TOO_OLD,
        "0.31's create_team() loads the new team at once; the test stubs only CreateTeam (a team 'test' never exists)",
    ),
    ("check_md5_obj_path", TOO_OLD, "ArtifactFileCache.check_md5_obj_path removed in 0.31"),
    ("wandb.sdk.internal.sender", TOO_OLD, "wandb.sdk.internal.sender removed in 0.31"),
    ("ArtifactMembershipFragment", TOO_OLD, "the test's stubbed registry answer lacks fields 0.31's models require"),
    ("Connection refused by Responses", TOO_OLD, "0.31 downloads through a path the test's `responses` mocks miss"),
    # --- what the stand-in is not ------------------------------------------------------
    (
        "test_public_api::test_viewer",
        STAND_IN,
        "expects the key to start with its id, as W&B's test keys (= usernames) do; Sextant lists keys by hint",
    ),
    (
        "Server disconnected without sending a response",
        STAND_IN,
        "the stand-in fixture service answered HTTP/1.0 and closed connections their client reused (since fixed)",
    ),
    # --- the machine -------------------------------------------------------------------
    ("requires polars", ENVIRONMENT, "polars was not installed in that run"),
    ("No module named 'tqdm'", ENVIRONMENT, "tqdm was not installed in that run"),
    ("No module named 'moviepy'", ENVIRONMENT, "moviepy was not installed in that run"),
    ("Name or service not known", ENVIRONMENT, "artifact references to internet hosts (no internet on the machine)"),
    ("No module named 'google.cloud.storage'", ENVIRONMENT, "GCS reference tests need google-cloud-storage and GCS"),
    ("No module named 'matplotlib'", ENVIRONMENT, "matplotlib was not installed in that run"),
    ("No module named 'bokeh'", ENVIRONMENT, "bokeh was not installed in that run"),
    ("too many clients already", ENVIRONMENT, "the shared PostgreSQL ran out of connections (9 jobs on the machine)"),
    # --- Sextant has no such thing -------------------------------------------------------
    ("Unable to find organization", NOT_IN_SEXTANT, "organisations: Sextant has teams only"),
    # --- gaps: what Sextant does not do (yet) the way W&B does ---------------------------
    ("test_wandb_artifacts_api::test_save", GAP, "artifacts: artifact tags (save, list, search by tag)"),
    ("test_retrieve_artifacts_by_tags", GAP, "artifacts: artifact tags (save, list, search by tag)"),
    ("deleteArtifactPortfolio", GAP, "artifacts: deleting a collection"),
    ("test_artifacts_order", GAP, "artifacts: version order of project.artifacts()"),
    ("test_artifact_files", GAP, "artifacts: a file's direct URL is missing"),
    ("test_add_file_respects_incremental", GAP, "artifacts: incremental artifacts"),
    ("test_artifact_download_http_headers", GAP, "artifacts: download headers"),
    ("DID NOT RAISE", GAP, "artifacts: a refusal W&B gives (wrong type, storage region) is not given"),
    ("test_retrieve_missing_artifact", GAP, "artifacts: the missing-artifact message differs"),
    (
        "test_wandb_artifacts_api::test_run_log_artifact",
        GAP,
        "artifacts: an existing version logged again by another run is not listed in that run's logged_artifacts",
    ),
    ("test_agent_term_timeout_escalates_to_sigki", GAP, "sweeps: the agent's SIGTERM-then-SIGKILL escalation"),
    # --- not explained yet ---------------------------------------------------------------
    ("test_console::", UNEXPLAINED, "console capture in offline/long-output cases: not yet looked into"),
    ("test_sync_with_tensorboard", UNEXPLAINED, "wandb sync of a tfevents file sends no run: not yet looked into"),
]


def classify(case: dict) -> dict:
    for needle, category, why in RULES:
        if needle in case["id"] or needle in case.get("message", "") or needle in case.get("detail", ""):
            return {"category": category, "why": why}
    return {"category": "unclassified", "why": case.get("message", "")[:200]}
