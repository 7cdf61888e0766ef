"""Reading YAML with the line of every key and item, and collecting problems against them.

Each mapping and sequence read keeps where each key and item was; a problem is reported as
``file:line: field: message`` so that a person fixes the sheet, never the RDF compiled from it.

The text is parsed by libyaml (PyYAML's C parser) into nodes that carry their marks, and the
values are built here: a load reads dozens of sheets, and a pure-Python parser spent most of
a load's time on them. Plain scalars are resolved by the YAML 1.2 core schema, as a person
reading the sheet expects (``no`` and ``18:33`` stay text, unlike YAML 1.1); dates stay the
text they are written as, so the sheet's checks read them (a 2025-13-01 is a problem at its
line, not a crash); a key given twice in one mapping is an error, not silently the last.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hubgraph.errors import LoadError


class LineMap(dict[Any, Any]):
    """A mapping of the document, with the 0-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class LineSeq(list[Any]):
    """A sequence of the document, with the 0-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style or node.tag not in _IMPLICIT_TAGS:  # plain is None, or "" from libyaml
        return text  # quoted, a block, or a tag of its own: text as written
    if _NULL.match(text):
        return None
    if _TRUE.match(text):
        return True
    if _FALSE.match(text):
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


_IMPLICIT_TAGS = {
    # What libyaml's resolver may give a plain scalar; its YAML 1.1 choice is redone above.
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:merge",
}


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        self.key, self.line = key, line


def _value(node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if isinstance(node, yaml.SequenceNode):
        seq = LineSeq(_value(item) for item in node.value)
        seq.line = node.start_mark.line
        seq.item_lines = [item.start_mark.line for item in node.value]
        return seq
    mapping = LineMap()
    mapping.line = node.start_mark.line
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = _value(key_node)
        if isinstance(key, list | dict):
            key = str(key)
        if key in mapping:
            raise _DuplicateKey(key, key_node.start_mark.line)
        mapping[key] = _value(value_node)
        mapping.key_lines[key] = key_node.start_mark.line
    return mapping


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class SheetError(LoadError):
    """Sources (sheets, the register, the editorial file, RDF files) with problems: all of
    them, at once, each against its file and line."""

    code = "validation-failed"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        files = sorted({p.file for p in problems})
        head = f"{len(problems)} problem(s) in {', '.join(files)}, nothing loaded:"
        super().__init__("\n  ".join([head, *(str(p) for p in problems)]))


@dataclass
class Problems:
    """Problems found so far in one file."""

    file: str
    found: list[Problem] = field(default_factory=list)
    pending: set[tuple[str, str]] = field(default_factory=set)
    """(key, place) of the DECIDE values reported (a field may be read twice)."""

    def add(self, line: int | None, where: str, message: str) -> None:
        self.found.append(Problem(self.file, line, where, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise SheetError(list(self.found))


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``, as line-aware mappings and sequences."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path}: cannot read it ({exc})") from None
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
        return None if node is None else _value(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise SheetError(
            [Problem(str(path), line, "", f"not valid YAML: {exc.problem or exc}")]
        ) from None
    except yaml.YAMLError as exc:
        raise SheetError([Problem(str(path), None, "", f"not valid YAML: {exc}")]) from None
    except _DuplicateKey as exc:
        raise SheetError(
            [Problem(str(path), exc.line + 1, str(exc.key), "this key is given twice here")]
        ) from None


def line_of(container: Any, key: str | int | None = None) -> int | None:
    """The 1-based line of ``key`` (a mapping key or a sequence index) in ``container``, or of
    the container itself."""
    if isinstance(container, LineSeq):
        if key is None or not isinstance(key, int) or not 0 <= key < len(container.item_lines):
            return container.line + 1
        return container.item_lines[key] + 1
    if isinstance(container, LineMap):
        if key is None or key not in container.key_lines:
            return container.line + 1
        return container.key_lines[key] + 1
    return None


DECIDE = "DECIDE"
"""What ``hubgraph new`` writes where a person must decide; a sheet that still has one does
not load, and each is reported where it is."""


class Node:
    """A mapping of the document with its place (``observations[2]``), so that every value
    read from it can be checked and every problem reported at its line."""

    def __init__(self, data: Any, where: str, problems: Problems, line: int | None) -> None:
        self.data = data if isinstance(data, dict) else {}
        self.where = where
        self.problems = problems
        self.line = line
        if not isinstance(data, dict):
            problems.add(line, where, f"must be a mapping (key: value lines), not {_shown(data)}")

    def field(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def line_of(self, key: str) -> int | None:
        return line_of(self.data, key) if key in self.data else self.line

    def error(self, key: str, message: str) -> None:
        self.problems.add(self.line_of(key), self.field(key), message)

    def check_keys(self, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
        for key in self.data:
            if key not in allowed:
                self.problems.add(
                    line_of(self.data, key),
                    self.field(str(key)),
                    f"unknown key {str(key)!r}; the allowed keys are: {', '.join(allowed)}",
                )
        for key in required:
            if key not in self.data or self.data[key] is None:
                self.problems.add(self.line, self.field(key), "is required")

    def pending(self, key: str, hint: str = "") -> bool:
        """Whether ``key`` still reads DECIDE (reported once, here)."""
        if self.data.get(key) != DECIDE:
            return False
        if (key, self.where) not in self.problems.pending:
            self.problems.pending.add((key, self.where))
            self.error(key, f"still to decide: replace DECIDE{hint} (see docs/coding-sheet.md)")
        return True

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def text(self, key: str, *, required: bool = False) -> str | None:
        if self.pending(key):
            return None
        value = self.data.get(key)
        if value is None:
            if required and key not in self.data:
                return None  # reported by check_keys
            if required:
                self.error(key, "is required")
            return None
        if isinstance(value, (bool, list | dict)):
            self.error(key, f"must be text, not {_shown(value)}")
            return None
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def boolean(self, key: str) -> bool | None:
        if self.pending(key, " with true or false"):
            return None
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, not {_shown(value)}")
            return None
        return value

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be a whole number, not {_shown(value)}")
            return None
        return value

    def date(self, key: str, *, required: bool = False) -> str | None:
        """A date as the sheet writes it: YYYY-MM-DD, YYYY-MM or YYYY (checked)."""
        if self.pending(key, " with YYYY-MM-DD, YYYY-MM or YYYY"):
            return None
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.line_of(key), self.field(key), "is required")
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if isinstance(value, dt.datetime) or not valid_date(text):
            self.error(key, f"{text!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")
            return None
        return text

    def texts(self, key: str) -> list[tuple[str, int | None]]:
        """A list of texts (a single text counts as a list of one), each with its line."""
        value = self.data.get(key)
        if value is None:
            return []
        if value == DECIDE:
            self.pending(key)
            return []
        if isinstance(value, str | int) and not isinstance(value, bool):
            return [(str(value), self.line_of(key))]
        if not isinstance(value, list):
            self.error(key, f"must be a list, not {_shown(value)}")
            return []
        out = []
        for i, item in enumerate(value):
            if item == DECIDE:
                self.problems.add(
                    line_of(value, i),
                    f"{self.field(key)}[{i}]",
                    "still to decide: replace DECIDE (see docs/coding-sheet.md)",
                )
            elif isinstance(item, str | int) and not isinstance(item, bool):
                out.append((str(item), line_of(value, i)))
            else:
                self.problems.add(
                    line_of(value, i),
                    f"{self.field(key)}[{i}]",
                    f"must be text, not {_shown(item)}",
                )
        return out

    def nodes(self, key: str) -> Iterator[Node]:
        """The mappings listed under ``key``."""
        value = self.data.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.error(key, f"must be a list, not {_shown(value)}")
            return
        for i, item in enumerate(value):
            yield Node(item, f"{self.field(key)}[{i}]", self.problems, line_of(value, i))

    def node(self, key: str) -> Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        return Node(value, self.field(key), self.problems, self.line_of(key))


DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def valid_date(text: str) -> bool:
    match = DATE.match(text)
    if not match:
        return False
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        return False
    if day is not None:
        try:
            dt.date(year or 1, month or 1, day)
        except ValueError:
            return False
    return True


def date_precision(text: str) -> str:
    return {10: "day", 7: "month", 4: "year"}[len(text)]


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return repr(value if not isinstance(value, dt.date) else value.isoformat())
