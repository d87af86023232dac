"""The regular expressions a filter's `$regex` may hold: the syntax PostgreSQL and Python read alike.

A pattern is checked here and run by the database: PostgreSQL's own engine
(ARE), or Python's `re` behind SQLite's REGEXP. The two disagree on much
(`(?P<n>…)` is an error in PostgreSQL, `\\b` is a word boundary in Python and a
backspace in PostgreSQL, `[[:alpha:]]` is a class in one and a literal in the
other), so only a common subset is accepted, and the accepted pattern is
rewritten into spellings both engines read the same way:

- `.` matches any character, newline included (PostgreSQL's reading);
- `$` matches only at the very end (Python's `$` also matched before a final newline);
- `\\d \\w \\s` (and `\\D \\W \\S` outside brackets) mean ASCII digits, word characters, white space.

Anything else raises UnportableRegex naming the construct and how to write it
(runs.table.filterlang turns it into the filter's 400).
"""

from __future__ import annotations

import re


class UnportableRegex(ValueError):
    """A pattern outside the common subset; the message names the construct."""


MAX_BOUND = 255  # PostgreSQL's largest {m,n} repetition count
MAX_LENGTH = 1000

_CLASSES = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\r\\f\\v"}
_CONTROL_ESCAPES = set("ntrfv")
_BOUND_RE = re.compile(r"\{(\d+)(,(\d*))?\}")


def portable_regex(pattern: str) -> str:
    """`pattern` in the spelling both engines match the same strings with, or UnportableRegex."""
    if len(pattern) > MAX_LENGTH:
        raise UnportableRegex(f"a pattern may have at most {MAX_LENGTH} characters")
    if "\x00" in pattern:
        raise UnportableRegex("a pattern may not contain a NUL character")
    return _Reader(pattern).read()


class _Reader:
    def __init__(self, pattern: str):
        self.p, self.i = pattern, 0
        self.out: list[str] = []
        self.depth = 0
        self.can_repeat = False  # the last thing written is an atom a quantifier may follow

    def refuse(self, construct: str, advice: str) -> UnportableRegex:
        return UnportableRegex(f"{construct} is not supported ({advice})")

    def read(self) -> str:
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == "\\":
                self.escape()
            elif c == "[":
                self.bracket()
            elif c == "(":
                self.open_group()
            elif c == ")":
                if self.depth == 0:
                    raise UnportableRegex(f"unbalanced ')' at position {self.i}; write \\) for a literal one")
                self.depth -= 1
                self.emit(")", atom=True)
            elif c in "*+?{":
                self.quantifier()
            elif c in "]}":
                raise self.refuse(f"a bare {c!r}", f"write \\{c} for a literal one")
            elif c == ".":
                self.emit("(?:.|\\n)", atom=True)
            elif c == "$":
                self.emit("\\Z", atom=False)
            elif c in "^|":
                self.emit(c, atom=False)
            else:
                self.emit(c, atom=True)
        if self.depth:
            raise UnportableRegex("missing ')'; write \\( for a literal one")
        result = "".join(self.out)
        re.compile(result)  # the subset is valid Python by construction; a bug here is a 500, not a wrong answer
        return result

    def emit(self, text: str, *, atom: bool, step: int = 1) -> None:
        self.out.append(text)
        self.can_repeat = atom
        self.i += step

    def escape(self) -> None:
        p, i = self.p, self.i
        if i + 1 >= len(p):
            raise UnportableRegex("the pattern ends with a lone backslash; write \\\\ for a literal one")
        c = p[i + 1]
        if c.lower() in _CLASSES:
            ranges = _CLASSES[c.lower()]
            self.emit(f"[{'^' if c.isupper() else ''}{ranges}]", atom=True, step=2)
        elif c in _CONTROL_ESCAPES:
            self.emit("\\" + c, atom=True, step=2)
        elif c in "AZ":
            self.emit("\\" + c, atom=False, step=2)
        elif c in "bB":
            raise self.refuse(f"\\{c}", "Python reads it as a word boundary, PostgreSQL as something else")
        elif c.isdigit():
            raise self.refuse(f"the back-reference \\{c}", "match the text itself")
        elif c.isascii() and not c.isalnum():
            self.emit("\\" + c, atom=True, step=2)
        else:
            raise self.refuse(f"the escape \\{c}", "write the character itself, or \\ before punctuation only")

    def open_group(self) -> None:
        p, i = self.p, self.i
        if p.startswith("(?:", i):
            self.depth += 1
            self.emit("(?:", atom=False, step=3)
        elif p.startswith("(?", i):
            construct = _group_name(p[i:])
            advice = 'use "$options": "i"' if construct == "an inline flag (?…)" else "use plain (…) or (?:…) groups"
            raise self.refuse(construct, advice)
        else:
            self.depth += 1
            self.emit("(", atom=False)

    def quantifier(self) -> None:
        p, i = self.p, self.i
        if p[i] == "{":
            match = _BOUND_RE.match(p, i)
            if match is None:
                raise self.refuse("a '{' that is not a repetition {m}, {m,} or {m,n}", "write \\{ for a literal one")
            low, high = int(match.group(1)), match.group(3)
            if low > MAX_BOUND or (high and int(high) > MAX_BOUND):
                raise UnportableRegex(f"repetition counts may be at most {MAX_BOUND}")
            if high and int(high) < low:
                raise UnportableRegex(f"in {match.group(0)} the first count is larger than the second")
            text, end = match.group(0), match.end()
        else:
            text, end = p[i], i + 1
        if not self.can_repeat:
            raise UnportableRegex(f"{text!r} at position {i} repeats nothing; write \\{text[0]} for a literal one")
        if end < len(p) and p[end] == "?":  # lazy: the same strings match, only the match's extent differs
            text, end = text + "?", end + 1
        if end < len(p) and p[end] in "*+?{":
            raise self.refuse(f"a second quantifier {p[end]!r} right after {text!r}", "group the first, e.g. (?:a+)*")
        self.out.append(text)
        self.can_repeat = False
        self.i = end

    def bracket(self) -> None:
        p, start = self.p, self.i
        i = start + 1
        body = ["["]
        if i < len(p) and p[i] == "^":
            body.append("^")
            i += 1
        if i < len(p) and p[i] == "]":
            raise self.refuse("a ']' first in a bracket expression", "write \\] for a literal one")
        items, after_range = 0, False
        while True:
            if i >= len(p):
                raise UnportableRegex(f"the bracket expression at position {start} has no closing ']'")
            c = p[i]
            if c == "]":
                break
            if c == "[":
                raise self.refuse(
                    "'[' inside a bracket expression ([:alpha:] and nested sets)", "write \\[ for a literal one"
                )
            if c in "&~|-" and p.startswith(c * 2, i):
                raise self.refuse(f"{c * 2!r} inside a bracket expression", f"write \\{c} for a literal {c!r}")
            if c == "\\":
                if i + 1 >= len(p):
                    raise UnportableRegex("the pattern ends with a lone backslash")
                e = p[i + 1]
                if e in _CLASSES:
                    body.append(_CLASSES[e])
                elif e in _CONTROL_ESCAPES or (e.isascii() and not e.isalnum()):
                    body.append("\\" + e)
                else:
                    raise self.refuse(
                        f"the escape \\{e} inside a bracket expression", "use \\d, \\w, \\s or \\ before punctuation"
                    )
                i += 2
            elif c == "-" and items and i + 1 < len(p) and p[i + 1] != "]":
                low, high = _range_end(p, i - 1), p[i + 1]
                if high == "\\" or low is None or after_range:
                    raise self.refuse(
                        "a range that starts or ends with an escape or another range", "write \\- for a literal '-'"
                    )
                if high < low:
                    raise UnportableRegex(f"the range {low}-{high} is reversed")
                body.append(c + high)
                i += 2
                after_range = True
                items += 1
                continue
            else:
                body.append(c)
                i += 1
            after_range = False
            items += 1
        body.append("]")
        self.out.append("".join(body))
        self.can_repeat = True
        self.i = i + 1


def _range_end(p: str, i: int) -> str | None:
    """The plain character at p[i] that starts a range, or None if it ends an escape."""
    return None if i > 0 and p[i - 1] == "\\" else p[i]


def _group_name(text: str) -> str:
    if text.startswith(("(?P<", "(?<")) and not text.startswith(("(?<=", "(?<!")):
        return "a named group (?P<name>…)"
    if text.startswith(("(?=", "(?!", "(?<=", "(?<!")):
        return "a look-around " + text[:4].rstrip("…") + "…)"
    if text.startswith("(?P="):
        return "a named back-reference (?P=name)"
    if text.startswith("(?#"):
        return "a comment (?#…)"
    if text.startswith("(?>"):
        return "an atomic group (?>…)"
    if text.startswith("(?("):
        return "a conditional (?(…)…)"
    return "an inline flag (?…)"
