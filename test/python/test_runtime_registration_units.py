"""Unit tests of the registration net (the servers section of _xaccount.py): which functions get an
account_id, the signature and the call they get, FastMCP's `from_function` hooked once per class, and
the import hook that does it for tool modules imported after the runtime.

In-process and without an emulator (milliseconds each): the role's credentials are stood in for by
ready-made keys, and the FastMCP modules by small stand-ins named as the real ones, so nothing here
changes the process's real FastMCP classes. test_runtime_registration.py proves the same end to end,
in a real server process with the emulator; these pin each rule, and mutation testing can see them
(it does not see into child processes).
"""

from __future__ import annotations

import asyncio
import importlib.machinery
import inspect
import sys
import types
from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable, Optional

import botocore
import pytest
from botocore.credentials import Credentials

from runtime_support import XACCOUNT_VARS, _xaccount as rt

PKG = "xa_regunit_pkg"  # a package that "vendors the runtime": registered in _tool_packages() per test
ACCOUNT = "111111111111"


@pytest.fixture
def patched_package() -> Iterator[str]:
    """PKG counts as a patched package for the test (the set is shared by the whole process)."""
    added = PKG not in rt._tool_packages()
    rt._tool_packages().add(PKG)
    try:
        yield PKG
    finally:
        if added:
            rt._tool_packages().discard(PKG)


@pytest.fixture
def role(monkeypatch: pytest.MonkeyPatch) -> Iterator[Credentials]:
    """Account calls run with these keys, as if the role had been assumed already (no STS here)."""
    for key in XACCOUNT_VARS:
        monkeypatch.delenv(key, raising=False)
    keys = Credentials("ASIAROLEKEY", "role-secret", "role-token")
    keys.xaccount_ready = True  # type: ignore[attr-defined]  (the first AssumeRole has happened)
    monkeypatch.setattr(rt.RoleCredentials, "get", lambda self, account_id, region, settings: keys)
    rt._reset_for_tests()
    yield keys
    rt._reset_for_tests()


def in_package(fn: Callable[..., Any], module: str = PKG + ".tools") -> Callable[..., Any]:
    fn.__module__ = module
    return fn


# ---- which functions get account_id -------------------------------------------------------------------


def test_the_shared_package_set_lives_on_botocore_and_is_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    assert rt._tool_packages() is rt._tool_packages() is botocore._xaccount_tool_packages
    # The first copy of the runtime in a process makes it; every later call (and copy) gets that one.
    monkeypatch.delattr(botocore, "_xaccount_tool_packages")
    made = rt._tool_packages()
    assert made == set() and botocore._xaccount_tool_packages is made and rt._tool_packages() is made
    # Something else under that name (not a set) is replaced, never used.
    monkeypatch.setattr(botocore, "_xaccount_tool_packages", ["other"])
    replaced = rt._tool_packages()
    assert replaced == set() and botocore._xaccount_tool_packages is replaced


@pytest.mark.parametrize("module,inside", [
    (PKG, True), (PKG + ".tools", True), (PKG + ".sub.deep", True),
    (PKG + "other", False), (PKG + "other.tools", False), ("xa_regunit", False), ("other." + PKG, False),
    ("builtins", False), (None, False),
])
def test_a_function_is_in_a_patched_package_by_its_module(patched_package: str, module: Optional[str], inside: bool) -> None:
    def tool() -> None:
        pass

    tool.__module__ = module  # type: ignore[assignment]
    assert rt._in_patched_package(tool) is inside


def test_a_function_of_main_is_placed_by_the_modules_real_name(
    patched_package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m pkg.server` runs the server module as __main__: its tools are the package's."""
    def tool() -> None:
        pass

    tool.__module__ = "__main__"
    main = types.ModuleType("__main__")
    monkeypatch.setitem(sys.modules, "__main__", main)
    main.__spec__ = importlib.machinery.ModuleSpec(PKG + ".server", None)
    assert rt._in_patched_package(tool)
    main.__spec__ = importlib.machinery.ModuleSpec("elsewhere.server", None)
    assert not rt._in_patched_package(tool)
    # `python server.py` (a script: no spec) is no package's.
    main.__spec__ = None
    assert not rt._in_patched_package(tool)


class CallableTool:
    def __call__(self, name: str) -> str:
        return name

    def method(self, name: str) -> str:
        return name


CallableTool.__module__ = CallableTool.method.__module__ = PKG + ".tools"


def test_only_functions_and_methods_of_a_patched_package_without_account_id_need_one(patched_package: str) -> None:
    def plain(name: str) -> str:
        return name

    def own(name: str, account_id: str) -> str:
        return account_id

    def foreign(name: str) -> str:
        return name

    def bad_signature(name: str) -> str:
        return name

    in_package(bad_signature).__signature__ = "not a signature"  # type: ignore[attr-defined]
    assert rt.needs_account_param(in_package(plain))
    assert rt.needs_account_param(CallableTool().method)  # a bound method
    assert not rt.needs_account_param(in_package(own))  # its own account_id (or the codemod's) is kept
    assert not rt.needs_account_param(foreign)  # this test module is no patched package
    assert not rt.needs_account_param(CallableTool())  # not a function (its class is the package's)
    assert not rt.needs_account_param(len)
    assert not rt.needs_account_param(bad_signature)  # no signature to extend


# ---- what a function gets ----------------------------------------------------------------------------


def sync_tool(name: str, count: int = 1) -> dict[str, Any]:
    """Count things."""
    return {"name": name, "count": count, "account": rt.active_account()}


def test_a_sync_tool_gets_a_keyword_only_account_id_and_runs_in_that_account(role: Credentials) -> None:
    tool = rt.with_account_param(sync_tool)
    signature = inspect.signature(tool)
    assert list(signature.parameters) == ["name", "count", "account_id"]
    account = signature.parameters["account_id"]
    assert account.kind is inspect.Parameter.KEYWORD_ONLY and account.default is None
    assert account.annotation is rt.AccountId
    # Annotations resolved (FastMCP reads real types, not the strings of `from __future__ import annotations`).
    assert signature.parameters["name"].annotation is str and signature.return_annotation == dict[str, Any]
    assert tool.__annotations__ == {"name": str, "count": int, "account_id": rt.AccountId, "return": dict[str, Any]}
    # FastMCP names and describes the tool from these.
    assert (tool.__name__, tool.__doc__, tool.__module__) == ("sync_tool", "Count things.", sync_tool.__module__)
    # Whoever unwraps stops at the signature with account_id, never reaches the function's own.
    assert "account_id" in inspect.signature(inspect.unwrap(tool)).parameters
    assert tool("a", 2, account_id=ACCOUNT) == {"name": "a", "count": 2, "account": ACCOUNT}
    assert tool(name="b", account_id=ACCOUNT) == {"name": "b", "count": 1, "account": ACCOUNT}
    assert tool("c") == {"name": "c", "count": 1, "account": None}  # the server's own
    assert tool("d", account_id=None) == {"name": "d", "count": 1, "account": None}


def kwargs_tool(name: str, count: int = 1, **options: Any) -> dict[str, Any]:
    return {"name": name, "count": count, "options": options, "account": rt.active_account()}


def test_account_id_goes_before_var_keyword_and_never_reaches_the_function(role: Credentials) -> None:
    """The Amazon MQ / SNS-SQS servers' generated tools take **kwargs and pass them all to boto3."""
    tool = rt.with_account_param(kwargs_tool)
    assert list(inspect.signature(tool).parameters) == ["name", "count", "account_id", "options"]
    assert tool("a", size=3, account_id=ACCOUNT) == {"name": "a", "count": 1, "options": {"size": 3}, "account": ACCOUNT}


def test_a_tool_without_parameters_gets_only_account_id(role: Credentials) -> None:
    def bare() -> Optional[str]:
        return rt.active_account()

    tool = rt.with_account_param(bare)
    assert list(inspect.signature(tool).parameters) == ["account_id"]
    assert tool(account_id=ACCOUNT) == ACCOUNT and tool() is None
    assert tool.__annotations__ == {"account_id": rt.AccountId, "return": Optional[str]}


def test_keyword_only_parameters_keep_their_order(role: Credentials) -> None:
    def keywords(*, first: str, second: str) -> str:
        return first + second

    assert list(inspect.signature(rt.with_account_param(keywords)).parameters) == ["first", "second", "account_id"]


def test_a_signature_that_cannot_be_resolved_is_used_as_written(role: Credentials) -> None:
    def unresolved(thing: NoSuchType) -> Optional[str]:  # type: ignore[name-defined]  # noqa: F821
        return rt.active_account()

    def unannotated(thing):  # type: ignore[no-untyped-def]
        return rt.active_account()

    tool = rt.with_account_param(unresolved)
    assert list(inspect.signature(tool).parameters) == ["thing", "account_id"]
    assert tool.__annotations__ == {"thing": "NoSuchType", "account_id": rt.AccountId, "return": "Optional[str]"}
    assert tool(1, account_id=ACCOUNT) == ACCOUNT
    # No annotation and no return annotation: none made up.
    assert rt.with_account_param(unannotated).__annotations__ == {"account_id": rt.AccountId}


async def async_tool(name: str) -> tuple[str, Optional[str]]:
    await asyncio.sleep(0)
    return name, rt.active_account()


def test_an_async_tool_stays_async_and_awaits_in_the_account(role: Credentials) -> None:
    tool = rt.with_account_param(async_tool)
    assert inspect.iscoroutinefunction(tool)
    assert list(inspect.signature(tool).parameters) == ["name", "account_id"]
    assert asyncio.run(tool("a", account_id=ACCOUNT)) == ("a", ACCOUNT)
    assert asyncio.run(tool(name="b", account_id=ACCOUNT)) == ("b", ACCOUNT)
    assert asyncio.run(tool("c")) == ("c", None)


def generator_tool(name: str, count: int) -> Iterator[tuple[str, Optional[str]]]:
    for _ in range(count):
        yield name, rt.active_account()
    return "done"


def test_a_generator_tool_stays_a_generator_and_iterates_in_the_account(role: Credentials) -> None:
    tool = rt.with_account_param(generator_tool)
    assert inspect.isgeneratorfunction(tool)
    assert list(inspect.signature(tool).parameters) == ["name", "count", "account_id"]
    assert list(tool("a", 2, account_id=ACCOUNT)) == [("a", ACCOUNT), ("a", ACCOUNT)]
    assert list(tool(name="b", count=1, account_id=ACCOUNT)) == [("b", ACCOUNT)]
    assert list(tool("c", 1)) == [("c", None)]

    def outer() -> Iterator[Any]:
        result = yield from tool("d", 1, account_id=ACCOUNT)
        yield result

    assert list(outer()) == [("d", ACCOUNT), "done"]  # the generator's return value comes through


async def async_generator_tool(name: str, count: int) -> AsyncIterator[tuple[str, Optional[str]]]:
    for _ in range(count):
        await asyncio.sleep(0)
        yield name, rt.active_account()


def test_an_async_generator_tool_stays_one_and_iterates_in_the_account(role: Credentials) -> None:
    tool = rt.with_account_param(async_generator_tool)
    assert inspect.isasyncgenfunction(tool)
    assert list(inspect.signature(tool).parameters) == ["name", "count", "account_id"]

    async def collect(items: Any) -> list[Any]:
        return [item async for item in items]

    assert asyncio.run(collect(tool("a", 2, account_id=ACCOUNT))) == [("a", ACCOUNT), ("a", ACCOUNT)]
    assert asyncio.run(collect(tool(name="b", count=1, account_id=ACCOUNT))) == [("b", ACCOUNT)]
    assert asyncio.run(collect(tool("c", 1))) == [("c", None)]


def test_fastmcp_builds_the_tool_with_the_account_id_schema_and_runs_it_in_the_account(role: Credentials) -> None:
    from mcp.server.fastmcp.tools.base import Tool

    tool = Tool.from_function(rt.with_account_param(sync_tool))
    assert tool.name == "sync_tool" and tool.description == "Count things."
    schema = tool.parameters
    assert list(schema["properties"]) == ["name", "count", "account_id"] and schema["required"] == ["name"]
    account = schema["properties"]["account_id"]
    assert account["anyOf"][0] == {"type": "string", "pattern": rt.ACCOUNT_ID_PATTERN}
    assert account["description"].startswith("AWS account ID (12 digits)")
    result = asyncio.run(tool.run({"name": "a", "account_id": ACCOUNT}))
    assert result == {"name": "a", "count": 1, "account": ACCOUNT}


# ---- FastMCP's from_function, hooked -----------------------------------------------------------------


def tool_module(name: str, *classes: str, method: Any = None) -> types.ModuleType:
    """A stand-in for one of FastMCP's tool modules: classes whose from_function records its call."""
    module = types.ModuleType(name)

    def from_function(cls: Any, fn: Any, name: Optional[str] = None, **options: Any) -> Any:
        return cls, fn, name, options

    for class_name in classes:
        setattr(module, class_name, type(class_name, (), {"from_function": method or classmethod(from_function)}))
    return module


def hooked(cls: Any) -> bool:
    method = cls.__dict__.get("from_function")
    return isinstance(method, classmethod) and getattr(method.__func__, "_xaccount_registration", False) is True


def plain_tool(name: str) -> Optional[str]:
    return rt.active_account()


def test_a_registered_function_of_a_patched_package_gets_account_id(patched_package: str, role: Credentials) -> None:
    module = tool_module("mcp.server.fastmcp.tools.base", "Tool")
    rt._hook_tool_module(module)
    Tool = module.Tool
    assert hooked(Tool)
    fn = in_package(plain_tool)
    cls, registered, name, options = Tool.from_function(fn, "named", description="d")
    assert (cls, name, options) == (Tool, "named", {"description": "d"})
    assert "account_id" in inspect.signature(registered).parameters and registered("x", account_id=ACCOUNT) == ACCOUNT
    # The keyword form (fastmcp registers with fn=...).
    cls, registered, name, options = Tool.from_function(fn=fn, name="kw")
    assert (cls, name, options) == (Tool, "kw", {})
    assert "account_id" in inspect.signature(registered).parameters and registered("x", account_id=ACCOUNT) == ACCOUNT
    # A subclass registers as itself.
    Sub = type("Sub", (Tool,), {})
    assert Sub.from_function(fn)[0] is Sub


def test_other_functions_are_registered_untouched(patched_package: str) -> None:
    module = tool_module("mcp.server.fastmcp.tools.base", "Tool")
    rt._hook_tool_module(module)

    def foreign(name: str) -> str:
        return name

    def own(name: str, account_id: str) -> str:
        return account_id

    for fn in (foreign, in_package(own)):
        assert module.Tool.from_function(fn, "n") == (module.Tool, fn, "n", {})
        assert module.Tool.from_function(fn=fn) == (module.Tool, fn, None, {})


def test_each_class_of_a_tool_module_is_hooked_once(patched_package: str) -> None:
    # fastmcp 2.x: both classes of fastmcp.tools.tool define from_function.
    module = tool_module("fastmcp.tools.tool", "Tool", "FunctionTool")
    rt._hook_tool_module(module)
    assert hooked(module.Tool) and hooked(module.FunctionTool)
    first = module.Tool.__dict__["from_function"], module.FunctionTool.__dict__["from_function"]
    rt._hook_tool_module(module)  # a second vendored copy of the runtime: never a second layer
    assert (module.Tool.__dict__["from_function"], module.FunctionTool.__dict__["from_function"]) == first
    # One class hooked already (by another copy), the next one not yet: the next one still is.
    module = tool_module("fastmcp.tools.tool", "Tool", "FunctionTool")
    module.Tool.from_function = rt._registering(module.Tool.__dict__["from_function"].__func__)
    already = module.Tool.__dict__["from_function"]
    rt._hook_tool_module(module)
    assert module.Tool.__dict__["from_function"] is already and hooked(module.FunctionTool)


def test_classes_missing_or_without_a_classmethod_from_function_are_skipped(patched_package: str) -> None:
    module = tool_module("fastmcp.tools.tool", "FunctionTool")  # no Tool in this release
    rt._hook_tool_module(module)
    assert hooked(module.FunctionTool)
    # A from_function that is not a classmethod is not FastMCP's: left as it is, and the next class hooked.
    module = tool_module("fastmcp.tools.tool", "Tool")
    static = staticmethod(lambda fn: fn)
    module.Tool.from_function = static
    module.FunctionTool = tool_module("x", "FunctionTool").FunctionTool
    rt._hook_tool_module(module)
    assert module.Tool.__dict__["from_function"] is static and hooked(module.FunctionTool)


def test_only_fastmcps_tool_modules_are_hooked(patched_package: str) -> None:
    other = tool_module("some.library.tools", "Tool")
    rt._hook_tool_module(other)
    assert not hooked(other.Tool)
    nameless = types.SimpleNamespace(Tool=tool_module("x", "Tool").Tool)  # sys.modules may hold any object
    rt._hook_tool_module(nameless)
    assert not hooked(nameless.Tool)
    for name, classes in rt._TOOL_MODULES.items():
        module = tool_module(name, *classes)
        rt._hook_tool_module(module)
        assert all(hooked(getattr(module, c)) for c in classes), name


def test_the_real_fastmcp_tool_class_is_hooked_in_this_process() -> None:
    from mcp.server.fastmcp.tools.base import Tool

    assert hooked(Tool)


# ---- installing the hook ------------------------------------------------------------------------------


class Loader:
    def __init__(self) -> None:
        self.executed: list[Any] = []

    def exec_module(self, module: Any) -> None:
        self.executed.append(module)
        module.Tool = tool_module("x", "Tool").Tool


class Finder:
    def __init__(self, spec: Any) -> None:
        self.spec = spec
        self.asked: list[tuple[Any, ...]] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        self.asked.append((fullname, path, target))
        return self.spec


NAME = "mcp.server.fastmcp.tools.base"


def test_a_tool_module_imported_later_is_hooked_once_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = rt._HookToolModulesOnImport()
    loader = Loader()
    spec = importlib.machinery.ModuleSpec(NAME, loader)
    nothing, finder = Finder(None), Finder(spec)
    # The hook skips itself and finders of the old protocol, asks the others in order, and stops at the first answer.
    monkeypatch.setattr(sys, "meta_path", [hook, object(), nothing, finder, Finder(None)])
    path, target = ["a path"], types.ModuleType("target")
    assert hook.find_spec(NAME, path, target) is spec
    assert nothing.asked == finder.asked == [(NAME, path, target)]
    assert sys.meta_path[4].asked == []
    module = types.ModuleType(NAME)
    spec.loader.exec_module(module)
    assert loader.executed == [module] and hooked(module.Tool)


def test_the_import_hook_leaves_other_modules_and_loaders_without_exec_module_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    hook = rt._HookToolModulesOnImport()
    finder = Finder(importlib.machinery.ModuleSpec("json", Loader()))
    monkeypatch.setattr(sys, "meta_path", [hook, finder])
    assert hook.find_spec("json", None) is None and finder.asked == []  # not a tool module: not even asked
    legacy = importlib.machinery.ModuleSpec(NAME, object())
    monkeypatch.setattr(sys, "meta_path", [hook, Finder(legacy)])
    assert hook.find_spec(NAME, None) is legacy
    monkeypatch.setattr(sys, "meta_path", [hook, Finder(None)])
    assert hook.find_spec(NAME, None) is None


def test_installing_registers_the_package_and_the_import_hook_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "__name__", "xa_regunit_vendor.sub._xaccount")  # a vendored copy's name
    monkeypatch.setattr(botocore, "_xaccount_tool_packages", set())
    monkeypatch.delattr(botocore, "_xaccount_registration_hooked")
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    loaded = {name: tool_module(name, *classes) for name, classes in rt._TOOL_MODULES.items()}
    for name, module in loaded.items():
        monkeypatch.setitem(sys.modules, name, module)
    del sys.modules["fastmcp.tools.base"]  # not imported (yet)
    rt._install_registration_hook()
    assert botocore._xaccount_tool_packages == {"xa_regunit_vendor.sub"}
    assert botocore._xaccount_registration_hooked is True
    assert isinstance(sys.meta_path[0], rt._HookToolModulesOnImport)
    for name, module in loaded.items():
        assert all(hooked(getattr(module, c)) for c in rt._TOOL_MODULES[name]) is (name != "fastmcp.tools.base"), name
    # A second copy adds its package and hooks nothing twice.
    finders = list(sys.meta_path)
    monkeypatch.setattr(rt, "__name__", "xa_regunit_other._xaccount")
    rt._install_registration_hook()
    assert botocore._xaccount_tool_packages == {"xa_regunit_vendor.sub", "xa_regunit_other"}
    assert sys.meta_path == finders
    # A top-level copy (as these tests import it) belongs to no package.
    monkeypatch.setattr(rt, "__name__", "_xaccount")
    rt._install_registration_hook()
    assert botocore._xaccount_tool_packages == {"xa_regunit_vendor.sub", "xa_regunit_other"}
