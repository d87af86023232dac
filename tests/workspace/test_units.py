"""Pure parts of the workspace: buckets and the automatic panels."""

from runs.workspace.buckets import bucketed
from runs.workspace.panels import step_metrics, workspace_sections


def test_a_short_line_is_sent_raw():
    line = bucketed([(0, 1.0), (1, 2.0), (2, float("nan"))], buckets=10, x_min=None, x_max=None)
    assert line["mode"] == "raw"
    assert line["y"] == [1.0, 2.0] and line["extent"] == [0, 1]


def test_buckets_keep_every_spike_in_their_band_and_the_last_value():
    points = [(x, 1000.0 if x == 4321 else float(x % 7)) for x in range(10_000)]
    line = bucketed(points, buckets=100, x_min=None, x_max=None)
    assert line["mode"] == "buckets" and len(line["x"]) == 100
    assert max(line["max"]) == 1000.0  # the one spike survives
    assert sum(line["count"]) == 10_000
    assert line["y"][-1] == float(9999 % 7) and line["x"][-1] == 9999


def test_a_narrower_range_gives_finer_buckets():
    points = [(float(x), float(x)) for x in range(10_000)]
    wide = bucketed(points, buckets=100, x_min=None, x_max=None)
    narrow = bucketed(points, buckets=100, x_min=0, x_max=999)
    assert max(wide["count"]) > 50 and max(narrow["count"]) <= 10
    assert narrow["extent"] == [0.0, 9999.0]  # the whole line's extent, for the reset


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
    assert [s["name"] for s in sections] == ["Charts", "train", "val", "System"]
    assert [p["key"] for p in sections[0]["panels"]] == ["lr", "samples"]
    assert sections[0]["panels"][1]["kind"] == "images"
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
