"""The lineage graph of a version as SVG geometry: columns of runs and versions, and the edges between.

Computed here, drawn by the template as plain SVG (no script): upstream versions
→ the run that logged this version → this version → the runs that used it →
what those runs logged.
"""

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 190, 40, 60, 14, 10
LABEL_CHARS = 24


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _version_node(artifact, base: str, current: bool = False) -> dict:
    collection = artifact.collection
    name = f"{collection.name}:v{artifact.version_index}"
    return {
        "key": f"a{artifact.pk}",
        "kind": "artifact",
        "label": _label(name),
        "title": f"{name} ({collection.type.name})",
        "sub": collection.type.name,
        "url": f"{base}{collection.project.name}/artifacts/{collection.name}/v{artifact.version_index}/",
        "current": current,
    }


def _run_node(run, base: str) -> dict:
    name = run.display_name or run.run_id
    return {
        "key": f"r{run.pk}",
        "kind": "run",
        "label": _label(name),
        "title": f"run {name} ({run.run_id})",
        "sub": f"run · {run.get_state_display().lower()}",
        "url": f"{base}{run.project.name}/runs/{run.run_id}",
        "current": False,
    }


def layout(found: dict, team_name: str) -> dict:
    """{"width", "height", "nodes": [...with x, y], "edges": [{"d": path}]} from reads.lineage()."""
    base = f"/{team_name}/"
    artifact = found["artifact"]
    producer = found["producer"]
    columns = [
        [_version_node(a, base) for a in found["upstream"]],
        [_run_node(producer, base)] if producer else [],
        [_version_node(artifact, base, current=True)],
        [_run_node(r, base) for r in found["consumers"]],
        [_version_node(a, base) for a in found["downstream"]],
    ]
    edges_by_key = []
    if producer:
        edges_by_key += [(n["key"], f"r{producer.pk}") for n in columns[0]]
        edges_by_key.append((f"r{producer.pk}", f"a{artifact.pk}"))
    edges_by_key += [(f"a{artifact.pk}", n["key"]) for n in columns[3]]
    edges_by_key += [(f"r{a.created_by_id}", f"a{a.pk}") for a in found["downstream"]]
    used = [i for i, column in enumerate(columns) if column]
    tallest = max(len(column) for column in columns)
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    at = {}
    nodes = []
    for slot, index in enumerate(used):
        column = columns[index]
        x = PAD + slot * (NODE_W + GAP_X)
        top = PAD + (height - PAD * 2 - (len(column) * NODE_H + (len(column) - 1) * GAP_Y)) / 2
        for row, node in enumerate(column):
            node.update(x=x, y=round(top + row * (NODE_H + GAP_Y)), w=NODE_W, h=NODE_H)
            node["tx"], node["ty"], node["sy"] = x + 10, node["y"] + 17, node["y"] + 32
            at[node["key"]] = node
            nodes.append(node)
    edges = []
    for start, end in edges_by_key:
        a, b = at.get(start), at.get(end)
        if a is None or b is None:
            continue
        x1, y1, x2, y2 = a["x"] + NODE_W, a["y"] + NODE_H / 2, b["x"], b["y"] + NODE_H / 2
        middle = (x1 + x2) / 2
        edges.append({"d": f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"})
    width = PAD * 2 + len(used) * NODE_W + (len(used) - 1) * GAP_X
    return {"width": width, "height": height, "nodes": nodes, "edges": edges}
