"""Finds MCP tool functions with Python's own `ast`, independently of the codemod under test.

A tool is a function decorated with `<anything>.tool` / `<anything>.tool(...)`, or a local function
passed to `<anything>.tool(...)(fn)` / `<anything>.add_tool(fn)`. An `add_tool(x)` whose argument is not a
function defined in the same module (e.g. a tool object proxied from a remote MCP server) is not a tool
with a Python body, and is returned separately.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class ToolFunction:
    file: str  # relative to the scanned package, "/" separators
    function: str  # the Python function name
    tool_name: str  # the name MCP clients see: name= of the registration, else the function name
    node: FunctionNode

    def param_names(self) -> list[str]:
        a = self.node.args
        return [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]

    def param_default(self, name: str) -> ast.expr | None:
        """The default expression of a named parameter, or None if it has none."""
        a = self.node.args
        positional = [*a.posonlyargs, *a.args]
        offset = len(positional) - len(a.defaults)
        for index, param in enumerate(positional):
            if param.arg == name:
                return a.defaults[index - offset] if index >= offset else None
        for param, default in zip(a.kwonlyargs, a.kw_defaults):
            if param.arg == name:
                return default
        return None

    def decorator_sources(self) -> list[str]:
        return [ast.unparse(d) for d in self.node.decorator_list]


def _is_tool_registration(expr: ast.expr) -> bool:
    """`x.tool` or `x.tool(...)`, any receiver."""
    target = expr.func if isinstance(expr, ast.Call) else expr
    return isinstance(target, ast.Attribute) and target.attr == "tool"


def _registered_name(expr: ast.expr, default: str) -> str:
    if isinstance(expr, ast.Call):
        for kw in expr.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                return kw.value.value
        if expr.args and isinstance(expr.args[0], ast.Constant) and isinstance(expr.args[0].value, str):
            return expr.args[0].value
    return default


def scan_source(source: bytes, rel: str) -> tuple[list[ToolFunction], list[str]]:
    """Tools in one module, and the source text of registrations that have no local function."""
    tree = ast.parse(source)
    defs: dict[str, FunctionNode] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defs.setdefault(node.name, node)
    tools: list[ToolFunction] = []
    remote: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if _is_tool_registration(decorator):
                    tools.append(ToolFunction(rel, node.name, _registered_name(decorator, node.name), node))
                    break
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            by_call = isinstance(func, ast.Call) and _is_tool_registration(func)
            by_add = isinstance(func, ast.Attribute) and func.attr == "add_tool"
            if not (by_call or by_add):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id in defs:
                name = _registered_name(func, arg.id) if by_call else arg.id
                tools.append(ToolFunction(rel, arg.id, name, defs[arg.id]))
            else:
                remote.append(ast.unparse(node))
    return tools, remote


def scan_package(package_dir: Path) -> tuple[list[ToolFunction], list[str]]:
    tools: list[ToolFunction] = []
    remote: list[str] = []
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        found, unbodied = scan_source(path.read_bytes(), path.relative_to(package_dir).as_posix())
        tools.extend(found)
        remote.extend(unbodied)
    return tools, remote
