"""The lines of the runtime that hold message text for people, for `npm run mutate -- runtime`.

The same rule as StrykerJS's ignorer (scripts/mutate/ignore-message-text.mjs), for Python: the string
literals that make up the message of a `CrossAccountError(code, message)` (every argument after the
code), the message of `_config_error(message)`, and the value assigned to a name `hint`, `message`,
`detail` or `fix`, with every literal nested inside them (an f-string's parts, a `+` concatenation, a
`"".join(...)` separator). Error codes are not message text: they stay in the score.

mutmut has no such filter, so it still runs these mutants; run.mjs lists a survivor as message text
(outside the score) when everything its change touches lies inside these literals.

Usage: python message_lines.py FILE [--pure-lines]  -> JSON on stdout: {line: [[start column, end column], ...]}
(0-based columns, end excluded; a literal over several lines covers the lines between whole).
"""

from __future__ import annotations

import ast
import json
import sys

MESSAGE_CALLS = {"CrossAccountError": 1, "_config_error": 0}  # name -> index of the first message argument
MESSAGE_NAMES = {"hint", "message", "detail", "fix"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


Span = tuple[int, int]  # columns [start, end) on one line
Spans = dict[int, list[Span]]


def _add(spans: Spans, node: ast.expr) -> None:
    end_line = node.end_lineno or node.lineno
    end_col = node.end_col_offset if node.end_col_offset is not None else 10**6
    for line in range(node.lineno, end_line + 1):
        start = node.col_offset if line == node.lineno else 0
        end = end_col if line == end_line else 10**6
        spans.setdefault(line, []).append((start, end))


def _message_literals(node: ast.expr, spans: Spans) -> None:
    """The literals that make up a message value: the value itself, the parts of a `+`, both branches
    of a conditional (not its test: `"DurationSeconds" in aws_message` decides, it says nothing), the
    separator of a `"".join(...)` and the strings it joins. An f-string counts whole."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        _add(spans, node)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        _message_literals(node.left, spans)
        _message_literals(node.right, spans)
    elif isinstance(node, ast.IfExp):
        _message_literals(node.body, spans)
        _message_literals(node.orelse, spans)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join":
        _message_literals(node.func.value, spans)
        for argument in node.args:
            if isinstance(argument, ast.GeneratorExp):
                _message_literals(argument.elt, spans)


def message_spans(source: str) -> Spans:
    spans: Spans = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            first = MESSAGE_CALLS.get(_name(node.func) or "")
            if first is not None:
                for argument in node.args[first:]:
                    _message_literals(argument, spans)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in MESSAGE_NAMES for t in targets):
                _message_literals(node.value, spans)
    return spans


def pure_message_lines(source: str) -> list[str]:
    """The lines that hold nothing but message text: a literal without `{...}` placeholders, with at
    most a `+` before it and `,` / `)` after it (the middle lines of a long message). Not mutated at
    all (mutmut's do_not_mutate_patterns): every mutant there would only change the wording, and each
    costs a full run of the tests that reach it. A line with a placeholder is still mutated: showing
    the wrong value is a fault, and the wording mutants there are classified after the run."""
    spans = message_spans(source)
    lines = source.split("\n")
    pure: list[str] = []
    for number, covered in spans.items():
        text = lines[number - 1]
        start = len(text) - len(text.lstrip())
        if text[start:].startswith("+"):
            start += 1
            start += len(text[start:]) - len(text[start:].lstrip())
        end = len(text.rstrip().rstrip(",)").rstrip())
        if "{" in text or start >= end:
            continue
        if any(a <= start and end <= b for a, b in covered):
            pure.append(text)
    return sorted(set(pure))


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        code = f.read()
    if sys.argv[2:] == ["--pure-lines"]:
        print(json.dumps(pure_message_lines(code)))
    else:
        print(json.dumps(message_spans(code)))
