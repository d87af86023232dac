"""The README's conformance table, built from tests/conformance/results.json.

.venv/bin/python -m tests.conformance.readme     # rewrite the block between the markers
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RESULTS = ROOT / "tests" / "conformance" / "results.json"
BEGIN, END = "<!-- conformance:begin -->", "<!-- conformance:end -->"


def table(results: dict) -> str:
    meta = results["meta"]
    lines = [
        f"wandb `{meta['tests_tag']}` tests (`{meta['tests_commit'][:10]}`) against wandb {meta['sdk']},"
        f" Sextant `{meta['sextant_commit']}` on {meta['database']}, {meta['workers']} pytest workers"
        " (minutes: the tests' own time, summed over workers).",
        "",
        "| directory | collected | passed | failed | errors | skipped | minutes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = defaultdict(float)
    for name in sorted(results["dirs"]):
        row = results["dirs"][name]
        for key in ("collected", "passed", "failed", "error", "skipped", "seconds"):
            total[key] += row[key]
        lines.append(
            f"| `{name}` | {row['collected']} | {row['passed']} | {row['failed']} | {row['error']} | {row['skipped']} |"
            f" {row['seconds'] / 60:.0f} |"
        )
    t = {key: int(value) for key, value in total.items()}
    lines.append(
        f"| **all** | {t['collected']} | {t['passed']} | {t['failed']} | {t['error']} | {t['skipped']} |"
        f" {total['seconds'] / 60:.0f} |"
    )
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, cases in results["cases"].items():
        for case in cases:
            if case["outcome"] in ("failed", "error"):
                reason = case.get("reason") or {"category": "unclassified", "why": case["message"]}
                groups[(reason["category"], reason["why"])].append(name)
    lines += ["", "Why the others fail (failures and errors together):", ""]
    lines += ["| tests | where | category | reason |", "| ---: | --- | --- | --- |"]
    for (category, why), where in sorted(groups.items(), key=lambda item: (item[0][0], -len(item[1]))):
        places = ", ".join(f"{d} {where.count(d)}" for d in sorted(set(where)))
        lines.append(f"| {len(where)} | {places} | {category} | {why.replace('|', '/')} |")
    return "\n".join(lines)


def update(results: dict, readme: Path = README) -> None:
    text = readme.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + table(results) + "\n" + text[end:])


def reclassify(results: dict) -> dict:
    """Reasons again from reasons.py (edited after a run, without running it again)."""
    from tests.conformance import reasons

    for cases in results["cases"].values():
        for case in cases:
            if case["outcome"] in ("failed", "error"):
                case["reason"] = reasons.classify(case)
    return results


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else RESULTS)
    results = reclassify(json.loads(path.read_text()))
    path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    update(results)
