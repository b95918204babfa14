"""An independent detector of MCP tool registrations in every form issue 13 names, with Python's `ast`
(not the codemod's tree-sitter rules), for the PyPI matrix (test_server_matrix.py).

Forms found, anywhere in the package:
- `@x.tool` / `@x.tool(...)` on a function (any receiver);
- `x.tool(...)(ARG)`, `x.tool(ARG)`, `x.add_tool(ARG)`, `<anything>.from_function(ARG | fn=ARG)`;
- `factory(...)(ARG)` where `factory` is a pass-through registration wrapper: a function whose inner
  `(*args, **kwargs)` wrapper is what it registers (the tool is ARG, never the wrapper).
ARG is resolved by name across the package: `f`, `self.f`, `module.f`, an imported `f` -> every
`def f` (the same file's first). ARG that names no function (a loop variable's `.fn`, `getattr(...)`,
a call such as `paginating(name, fn)`) is a dynamic registration: reported with its source, its tools
exist only at run time (the start-up check lists them).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


@dataclass(frozen=True)
class Tool:
    file: str  # relative to the package, "/" separators
    qualname: str  # Class.method or function (nested functions: outer.inner)
    line: int
    params: tuple[str, ...]
    form: str  # decorator | call | from_function | wrapper-target

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass
class Found:
    tools: list[Tool] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)  # "file:line: source" of unresolvable registrations
    wrappers: list[str] = field(default_factory=list)  # pass-through registration factories


def _params(node: FunctionNode) -> tuple[str, ...]:
    a = node.args
    return tuple(p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs))


def _is_pass_through(node: FunctionNode) -> bool:
    a = node.args
    return not (a.posonlyargs or a.args or a.kwonlyargs) and a.vararg is not None and a.kwarg is not None


def _is_tool_attr(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Attribute) and expr.attr == "tool"


class _Module:
    def __init__(self, rel: str, tree: ast.Module) -> None:
        self.rel = rel
        self.tree = tree
        self.defs: dict[str, list[tuple[str, FunctionNode]]] = {}  # name -> [(qualname, node)]
        self.outer: dict[int, str] = {}  # id(node) -> top-level function that contains it
        self._index(tree.body, "", None)

    def _index(self, body: list[ast.stmt], prefix: str, top: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qual = f"{prefix}{node.name}"
                self.defs.setdefault(node.name, []).append((qual, node))
                top_name = top or node.name
                for child in ast.walk(node):
                    self.outer.setdefault(id(child), top_name)
                self._index(node.body, f"{qual}.", top_name)
            elif isinstance(node, ast.ClassDef):
                self._index(node.body, f"{prefix}{node.name}.", top)
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For)):
                self._index(getattr(node, "body", []), prefix, top)


def _arg_name(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, (ast.Name, ast.Attribute)):
        return expr.attr
    return None


def detect(package_dir: Path) -> Found:
    modules = []
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts or path.name.startswith("_xaccount"):
            continue
        modules.append(_Module(path.relative_to(package_dir).as_posix(), ast.parse(path.read_bytes())))
    found = Found()
    seen: set[tuple[str, str]] = set()

    def add(module: _Module, qual: str, node: FunctionNode, form: str) -> None:
        if (module.rel, qual) not in seen:
            seen.add((module.rel, qual))
            found.tools.append(Tool(module.rel, qual, node.lineno, _params(node), form))

    def resolve(here: _Module, expr: ast.expr) -> list[tuple[_Module, str, FunctionNode]]:
        name = _arg_name(expr)
        if name is None:
            return []
        local = [(here, q, n) for q, n in here.defs.get(name, [])]
        if local:
            return local[:1] if isinstance(expr, ast.Name) else local
        return [(m, q, n) for m in modules for q, n in m.defs.get(name, [])][:1]

    def register(here: _Module, call: ast.Call, expr: ast.expr, form: str) -> None:
        targets = resolve(here, expr)
        if not targets:
            found.dynamic.append(f"{here.rel}:{call.lineno}: {ast.unparse(call)}")
            return
        for module, qual, node in targets:
            if _is_pass_through(node):
                factory = module.outer.get(id(node))
                if factory and factory not in found.wrappers:
                    found.wrappers.append(factory)
                continue
            add(module, qual, node, form)

    for module in modules:
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in node.decorator_list:
                    target = d.func if isinstance(d, ast.Call) else d
                    if _is_tool_attr(target):
                        if _is_pass_through(node):
                            factory = module.outer.get(id(node))
                            if factory and factory not in found.wrappers:
                                found.wrappers.append(factory)
                        else:
                            qual = next((q for q, n in module.defs.get(node.name, []) if n is node), node.name)
                            add(module, qual, node, "decorator")
                        break
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Call) and _is_tool_attr(func.func) and node.args:
                    register(module, node, node.args[0], "call")  # x.tool(...)(ARG)
                elif _is_tool_attr(func) and node.args and not isinstance(node.args[0], ast.Constant):
                    register(module, node, node.args[0], "call")  # x.tool(ARG)
                elif isinstance(func, ast.Attribute) and func.attr == "add_tool" and node.args:
                    register(module, node, node.args[0], "call")
                elif isinstance(func, ast.Attribute) and func.attr == "from_function":
                    arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "fn"), None)
                    if arg is not None:
                        register(module, node, arg, "from_function")
    # Second pass: what the pass-through factories register, `factory(...)(ARG)`.
    for module in modules:
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Call)
                and isinstance(node.func.func, ast.Name)
                and node.func.func.id in found.wrappers
                and node.args
            ):
                register(module, node, node.args[0], "wrapper-target")
    return found
