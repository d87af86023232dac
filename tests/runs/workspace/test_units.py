"""Pure parts of the workspace: the automatic panels."""

from runs.workspace.panels import step_metrics, workspace_sections


def test_sections_by_prefix_with_system_metrics_apart():
    history = {
        "train/loss": {"number"},
        "val/acc": {"number"},
        "lr": {"number"},
        "samples": {"image-file"},
        "note": {"string"},
        "_runtime": {"number"},
    }
    sections = workspace_sections(history, ["system.cpu"], {})
    assert [s["name"] for s in sections] == ["Charts", "train", "val", "Media", "System"]
    assert [p["key"] for p in sections[0]["panels"]] == ["lr"]
    assert sections[3]["panels"] == [{"kind": "images", "key": "samples"}]
    assert sections[-1]["panels"] == [{"kind": "line", "key": "system.cpu", "x": "_runtime", "stream": "events"}]


def test_define_metric_gives_the_step_metric_as_x_axis_and_no_panel_of_its_own():
    config = {"_wandb": {"value": {"m": [{"1": "epoch", "6": [3]}, {"1": "val/acc", "5": 1, "6": [1]}]}}}
    steps = step_metrics(config)
    assert steps == {"val/acc": "epoch"}
    sections = workspace_sections({"epoch": {"number"}, "val/acc": {"number"}}, [], steps)
    assert sections == [{"name": "val", "panels": [{"kind": "line", "key": "val/acc", "x": "epoch"}]}]


def test_a_glob_definition_applies_to_every_matching_key():
    config = {"_wandb": {"value": {"m": [{"2": "val/*", "5": 2}, {"1": "epoch"}]}}}
    steps = step_metrics(config)
    assert steps == {"val/*": "epoch"}
    sections = workspace_sections({"epoch": {"number"}, "val/acc": {"number"}, "train/x": {"number"}}, [], steps)
    assert [p for s in sections for p in s["panels"]] == [
        {"kind": "line", "key": "train/x", "x": "_step"},
        {"kind": "line", "key": "val/acc", "x": "epoch"},
    ]
