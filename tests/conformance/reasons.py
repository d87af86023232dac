"""Why each failing wandb system test fails against Sextant (filled in from the runs)."""

RULES: list[tuple[str, str, str]] = []


def classify(case: dict) -> dict:
    for needle, category, why in RULES:
        if needle in case["id"] or needle in case.get("message", ""):
            return {"category": category, "why": why}
    return {"category": "unclassified", "why": case.get("message", "")}
