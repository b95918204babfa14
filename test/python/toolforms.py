"""An independent detector of MCP tool registrations in every form issue 13 names, with Python's `ast`
(not the codemod's tree-sitter rules), for the PyPI matrix (test_server_matrix.py).

Forms found, anywhere in the package:
- `@x.tool` / `@x.tool(...)` on a function (any receiver);
- `x.tool(...)(ARG)`, `x.tool(ARG)`, `x.add_tool(ARG)`, `<anything>.from_function(ARG | fn=ARG)`
  (not `Prompt`, `Resource` or `ResourceTemplate.from_function`: FastMCP's prompts and resources are
  not tools);
- `factory(...)(ARG)` where `factory` is a pass-through registration wrapper: a function whose inner
  `(*args, **kwargs)` wrapper is what it registers (the tool is ARG, never the wrapper).
ARG is resolved by name across the package: `f`, an imported `f` -> every `def f` (the same file's
first); `self.f`, `module.f` -> a method or module-level `def f` (never a function nested in another,
which no attribute reaches). ARG may also be:
- `wrap(..., f, ...)` where `wrap` returns an inner `(*args, **kwargs)` function that wraps or calls
  one of its parameters (`@wraps(fn)`, `fn(*args, **kwargs)`): the tool is the argument given for it;
- a parameter of the function that registers it (a registration helper, `def reg(name, fn):
  mcp.tool(name=name)(fn)`): the tools are what every call of the helper passes for that parameter;
- `getattr(m, n)` inside `for n in m.__all__` (m a module, or a loop over a tuple of modules): every
  name in that module's `__all__`, resolved through its imports.
ARG that is none of these (a loop variable's `.fn`, the result of an arbitrary call) is a dynamic
registration: reported with its source, its tools exist only at run time (the start-up check lists them).
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
        self.nested: set[int] = set()  # id() of functions defined inside another function
        self.parts = tuple(rel[: -len(".py")].split("/"))
        if self.parts[-1] == "__init__":
            self.parts = self.parts[:-1]
        self.package = self.parts if rel.endswith("__init__.py") else self.parts[:-1]
        self._index(tree.body, "", None)

    def _index(self, body: list[ast.stmt], prefix: str, top: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qual = f"{prefix}{node.name}"
                self.defs.setdefault(node.name, []).append((qual, node))
                if top is not None:
                    self.nested.add(id(node))
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


NOT_TOOLS = ("Prompt", "Resource", "ResourceTemplate")  # FastMCP's other from_function components


def _is_tool_factory(func: ast.expr) -> bool:
    """`X.from_function` that makes a tool: any receiver but FastMCP's prompts and resources."""
    if not (isinstance(func, ast.Attribute) and func.attr == "from_function"):
        return False
    receiver = _arg_name(func.value)
    return receiver is None or not receiver.endswith(NOT_TOOLS)


def _wrapped_param(factory: FunctionNode) -> int | None:
    """The index of the parameter a pass-through wrapper factory wraps: it returns an inner
    `(*args, **kwargs)` function decorated `@wraps(p)` or calling `p(*args, **kwargs)`."""
    params = _params(factory)
    for inner in ast.walk(factory):
        if inner is factory or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _is_pass_through(inner):
            continue
        returned = any(isinstance(r, ast.Return) and isinstance(r.value, ast.Name) and r.value.id == inner.name for r in ast.walk(factory))
        if not returned:
            continue
        for d in inner.decorator_list:
            if isinstance(d, ast.Call) and _arg_name(d.func) == "wraps" and d.args and isinstance(d.args[0], ast.Name) and d.args[0].id in params:
                return params.index(d.args[0].id)
        for c in ast.walk(inner):
            if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in params and any(isinstance(a, ast.Starred) for a in c.args):
                return params.index(c.func.id)
    return None


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _all_names(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            if isinstance(node.value, (ast.List, ast.Tuple)):
                return [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


class _Context(ast.NodeVisitor):
    """Every call with the functions and for-loops around it (innermost last)."""

    def __init__(self) -> None:
        self.calls: list[tuple[ast.Call, list[FunctionNode], list[ast.For]]] = []
        self._funcs: list[FunctionNode] = []
        self._loops: list[ast.For] = []

    def _function(self, node: FunctionNode) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self._funcs.append(node)
        saved, self._loops = self._loops, []
        for stmt in node.body:
            self.visit(stmt)
        self._loops = saved
        self._funcs.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self._loops.append(node)
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)
        self._loops.pop()

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append((node, list(self._funcs), list(self._loops)))
        self.generic_visit(node)


def detect(package_dir: Path) -> Found:
    modules = []
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts or path.name.startswith("_xaccount"):
            continue
        modules.append(_Module(path.relative_to(package_dir).as_posix(), ast.parse(path.read_bytes())))
    by_dotted = {".".join(m.parts): m for m in modules}
    found = Found()
    seen: set[tuple[str, str]] = set()
    helpers: dict[str, tuple[int, str]] = {}  # registration helper name -> (index, name) of its tool parameter

    def add(module: _Module, qual: str, node: FunctionNode, form: str) -> None:
        if (module.rel, qual) not in seen:
            seen.add((module.rel, qual))
            found.tools.append(Tool(module.rel, qual, node.lineno, _params(node), form))

    def module_named(here: _Module, level: int, dotted: str | None) -> _Module | None:
        """The package module an import names: relative to `here`, or absolute (matched by its
        longest suffix that is a module of the package, whose own import name is not known here)."""
        if level:
            base = here.package[: len(here.package) - (level - 1)] if level > 1 else here.package
            return by_dotted.get(".".join((*base, *(dotted.split(".") if dotted else ()))))
        parts = (dotted or "").split(".")
        for start in range(len(parts)):
            m = by_dotted.get(".".join(parts[start:]))
            if m is not None:
                return m
        return None

    def imported_module(here: _Module, name: str) -> _Module | None:
        """The module `name` is bound to in `here` by `from P import name` or `import P as name`."""
        for node in here.tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        sub = f"{node.module}.{alias.name}" if node.module else alias.name
                        return module_named(here, node.level, sub)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname == name:
                        return module_named(here, 0, alias.name)
        return None

    def exported(module: _Module, name: str) -> list[tuple[_Module, str, FunctionNode]]:
        """`name` as `module` binds it: its own top-level def, or what it imports from the package."""
        own = [(module, q, n) for q, n in module.defs.get(name, []) if id(n) not in module.nested and "." not in q]
        if own:
            return own[:1]
        for node in module.tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        source = module_named(module, node.level, node.module)
                        if source is not None and source is not module:
                            return exported(source, alias.name)
        return []

    def resolve(here: _Module, expr: ast.expr) -> list[tuple[_Module, str, FunctionNode]]:
        name = _arg_name(expr)
        if name is None:
            return []
        # `self.f` / `module.f` reach a method or a module-level def, never a function nested in another.
        by_attribute = not isinstance(expr, ast.Name)
        local = [(here, q, n) for q, n in here.defs.get(name, []) if not (by_attribute and id(n) in here.nested)]
        if local:
            return local[:1] if isinstance(expr, ast.Name) else local
        if isinstance(expr, ast.Name):  # `from .m import f [as name]`: f as m binds it
            for node in here.tree.body:
                if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
                    source = module_named(here, node.level, node.module)
                    original = next(a.name for a in node.names if (a.asname or a.name) == name)
                    if source is not None:
                        return exported(source, original)
        return [(m, q, n) for m in modules for q, n in m.defs.get(name, []) if id(n) not in m.nested][:1]

    def getattr_all(here: _Module, expr: ast.Call, loops: list[ast.For]) -> list[tuple[_Module, str, FunctionNode]] | None:
        """`getattr(m, n)` with `for n in m.__all__` around it: every function m exports."""
        if not (isinstance(expr.func, ast.Name) and expr.func.id == "getattr" and len(expr.args) == 2):
            return None
        obj, key = expr.args
        if not (isinstance(obj, ast.Name) and isinstance(key, ast.Name)):
            return None
        over_all = any(
            isinstance(l.target, ast.Name) and l.target.id == key.id
            and isinstance(l.iter, ast.Attribute) and l.iter.attr == "__all__"
            and isinstance(l.iter.value, ast.Name) and l.iter.value.id == obj.id
            for l in loops
        )
        if not over_all:
            return None
        names = [obj.id]
        for l in loops:  # `for m in (a, b, c)`: the modules are a, b and c
            if isinstance(l.target, ast.Name) and l.target.id == obj.id and isinstance(l.iter, (ast.Tuple, ast.List)):
                names = [e.id for e in l.iter.elts if isinstance(e, ast.Name)]
        out: list[tuple[_Module, str, FunctionNode]] = []
        for n in names:
            module = imported_module(here, n)
            if module is None:
                return None
            for exported_name in _all_names(module.tree):
                out += exported(module, exported_name)
        return out

    def register(here: _Module, call: ast.Call, expr: ast.expr, form: str, funcs: list[FunctionNode], loops: list[ast.For]) -> None:
        if isinstance(expr, ast.Call):
            targets = getattr_all(here, expr, loops)
            if targets is not None:
                for module, qual, node in targets:
                    add(module, qual, node, "getattr-all")
                return
            factory = resolve(here, expr.func)
            index = _wrapped_param(factory[0][2]) if factory else None
            if index is not None:
                inner = _argument(expr, index, _params(factory[0][2])[index])
                if inner is not None:
                    return register(here, call, inner, "wrapped", funcs, loops)
        if isinstance(expr, ast.Name) and funcs and expr.id in _params(funcs[-1]) and expr.id not in here.defs:
            helper = funcs[-1]
            if not any(id(n) == id(helper) for _q, n in here.defs.get(helper.name, [])) or id(helper) in here.nested:
                found.dynamic.append(f"{here.rel}:{call.lineno}: {ast.unparse(call)}")
                return
            helpers[helper.name] = (_params(helper).index(expr.id), expr.id)
            return
        targets = resolve(here, expr)
        if not targets:
            found.dynamic.append(f"{here.rel}:{call.lineno}: {ast.unparse(call)}")
            return
        for module, qual, node in targets:
            if _is_pass_through(node):
                factory_name = module.outer.get(id(node))
                if factory_name and factory_name not in found.wrappers:
                    found.wrappers.append(factory_name)
                continue
            add(module, qual, node, form)

    contexts = {}
    for module in modules:
        ctx = _Context()
        ctx.visit(module.tree)
        contexts[module.rel] = ctx
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
        for node, funcs, loops in ctx.calls:
            func = node.func
            if isinstance(func, ast.Call) and _is_tool_attr(func.func) and node.args:
                register(module, node, node.args[0], "call", funcs, loops)  # x.tool(...)(ARG)
            elif _is_tool_attr(func) and node.args and not isinstance(node.args[0], ast.Constant):
                register(module, node, node.args[0], "call", funcs, loops)  # x.tool(ARG)
            elif isinstance(func, ast.Attribute) and func.attr == "add_tool" and node.args:
                register(module, node, node.args[0], "call", funcs, loops)
            elif _is_tool_factory(func):
                arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "fn"), None)
                if arg is not None:
                    register(module, node, arg, "from_function", funcs, loops)
    # Second pass: what the pass-through factories register, `factory(...)(ARG)`, and what every call
    # of a registration helper passes for its tool parameter, `helper(..., ARG)`.
    for module in modules:
        for node, funcs, loops in contexts[module.rel].calls:
            if (
                isinstance(node.func, ast.Call)
                and isinstance(node.func.func, ast.Name)
                and node.func.func.id in found.wrappers
                and node.args
            ):
                register(module, node, node.args[0], "wrapper-target", funcs, loops)
            elif isinstance(node.func, ast.Name) and node.func.id in helpers:
                index, name = helpers[node.func.id]
                arg = _argument(node, index, name)
                if arg is not None:
                    register(module, node, arg, "helper", funcs, loops)
    return found
