"""`$regex` accepts only what PostgreSQL and Python (SQLite's REGEXP) read alike, and both then agree.

The agreement test asks the database itself, so it means most when run with
DATABASE_URL on PostgreSQL (on SQLite both sides are Python's `re`).
"""

import re

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.models import Project, Run
from runs.table.filterlang import FilterError, parse_filters
from runs.table.regex import UnportableRegex, portable_regex


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        ("(?P<n>a)b", "named group"),
        ("(?=a)", "look-around"),
        ("(?<=a)b", "look-around"),
        ("(?i)abc", '"$options": "i"'),
        (r"\bword", r"\b"),
        (r"(a)\1", "back-reference"),
        ("[[:alpha:]]", "[:alpha:]"),
        ("a{,3}", "repetition"),
        ("a{300}", "at most 255"),
        ("a*+", "second quantifier"),
        ("*a", "repeats nothing"),
        (r"\x41", r"\x"),
        ("[]a]", "']' first"),
        ("a)", "unbalanced"),
        ("(a", "missing ')'"),
        ("[z-a]", "reversed"),
        ("a\x00", "NUL"),
    ],
)
def test_constructs_the_engines_read_differently_are_refused_by_name(pattern, named):
    with pytest.raises(FilterError, match=re.escape(named)):
        parse_filters({"displayName": {"$regex": pattern}})


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        (r"^run-\d+$", ["run-12"], ["run-12\n", "run-x"]),
        ("a.b", ["a\nb", "axb"], ["ab"]),
        (r"[\w.]+@x", ["a.b@x"], ["@x"]),
        ("lr=0\\.1", ["lr=0.1"], ["lr=031"]),
        ("(?:ab|cd){2}", ["abcd"], ["abc"]),
        ("^$", [""], ["\n"]),
    ],
)
def test_accepted_patterns_mean_the_same_in_python(pattern, matches, misses):
    portable = portable_regex(pattern)
    assert all(re.search(portable, text) for text in matches)
    assert not any(re.search(portable, text) for text in misses)


def _db_matches(text: str, pattern: str, insensitive: bool) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT %s {'~*' if insensitive else '~'} %s", [text, pattern])
        else:
            cursor.execute("SELECT %s REGEXP %s", [text, ("(?i)" if insensitive else "") + pattern])
        return bool(cursor.fetchone()[0])


ATOMS = ["a", "b", "A", "-", ".", r"\d", r"\w", r"\s", r"\D", r"\.", "[ab]", "[^a]", "[a-c]", r"[\d_]", "\\n", "é"]


@st.composite
def patterns(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["atom", "atom", "group", "alt"] if depth < 2 else ["atom"]))
        if kind == "atom":
            part = draw(st.sampled_from(ATOMS))
        elif kind == "group":
            part = draw(st.sampled_from(["(", "(?:"])) + draw(patterns(depth + 1)) + ")"
        else:
            part = draw(patterns(depth + 1)) + "|" + draw(patterns(depth + 1))
            part = f"(?:{part})"
        part += draw(st.sampled_from(["", "", "*", "+", "?", "{2}", "{1,2}", "*?", "+?"]))
        parts.append(part)
    anchored = draw(st.sampled_from(["", "^", r"\A"])) + "".join(parts) + draw(st.sampled_from(["", "$", r"\Z"]))
    return anchored


TEXT = st.text(alphabet="abAB-.1_ \n\té", max_size=8)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(pattern=patterns(), texts=st.lists(TEXT, min_size=1, max_size=4), insensitive=st.booleans())
def test_the_database_and_python_agree_on_every_accepted_pattern(pattern, texts, insensitive):
    try:
        portable = portable_regex(pattern)
    except UnportableRegex:
        return  # e.g. a quantifier after a quantifier the grammar produced
    flags = re.IGNORECASE if insensitive else 0
    for text in texts:
        assert _db_matches(text, portable, insensitive) == bool(re.search(portable, text, flags)), (pattern, text)


@pytest.mark.django_db
def test_a_named_group_is_a_400_naming_it_from_the_runs_table(team, owner, api):
    project = Project.objects.create(team=team, name="p")
    Run.objects.create(project=project, run_id="r1", display_name="ab")
    api.force_login(owner)
    url = f"/api/v1/teams/{team.name}/projects/p/runs-table/"
    response = api.get(url, {"filters": '{"displayName": {"$regex": "(?P<n>a)b"}}'})
    assert response.status_code == 400
    assert "named group" in response.json()["errors"]["filters"][0]
    found = api.get(url, {"filters": '{"displayName": {"$regex": "^a.$"}}'})
    assert found.status_code == 200 and [row["name"] for row in found.json()["results"]] == ["r1"]
