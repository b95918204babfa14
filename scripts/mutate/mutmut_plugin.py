"""pytest plugin for `npm run mutate -- runtime` (loaded by mutmut in .mutmut/, see scripts/mutate/run.mjs).

What mutmut 3 does not do for this suite, each of which made a run slow or wrong (and, numbered 0
below, child processes during its stats run):

1. Import-time code. mutmut records which tests call each function while the clean suite runs, and
   then runs a mutant with those tests only. The runtime installs its hooks when it is imported
   (`_ACTIVE = _install_hook()`: signing, threads, child processes, the log filter...), which happens
   while pytest collects, before any test: mutmut filed all of it under the first test, so a mutant
   in a hook ran one unrelated test and "survived". Here every function the import called is filed
   under every test that uses the runtime (the tests run fastest first and stop at the first
   failure, so a killed mutant costs little), or, when it defines the hooks as closures, under the
   tests that ran those closures (recorded by a profiler during mutmut's stats run) and the unit tests.
2. Order. The tests of a mutant run fastest first (durations from mutmut's own stats), so the unit
   tests that kill most mutants run before the slow ones.
3. The emulator. Each mutant is a fresh process, and each fresh process started its own moto servers
   (seconds each, the largest part of a mutant's time). Here moto servers are pooled across mutants:
   `start_moto` hands out a running server with the same settings, reset to the state a fresh one
   has (no resources, empty request log, the same free-request count), held with a lock for the
   process's life; `stop_moto` leaves it running. run.mjs stops the pool at the end of the run.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Mapping

import pytest

POOL = Path(os.environ.get("XACCOUNT_MUTATE_MOTO_POOL", Path(__file__).resolve().parent / "moto-pool"))
_held: list[Any] = []  # lock files held for this process's life


def _mode() -> str:
    from mutmut.mutation.trampoline import get_mutant_under_test

    return get_mutant_under_test()


# ---- 0: child processes during the stats run ---------------------------------------------------------
# In the stats run every trampoline hit is recorded, which reads mutmut's settings from the working
# directory. A child process the tests start elsewhere (a server in a temporary directory) inherits
# MUTANT_UNDER_TEST=stats, finds no settings and dies. Its hits could not be recorded anyway (another
# process): keep "stats" in this process only, so children run the plain code.
_stats_env: list[str] = []


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        from mutmut.mutation import trampoline

        trampoline._mutant_under_test = "stats"
        _stats_env.append(os.environ.pop("MUTANT_UNDER_TEST"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _stats_env:
        from mutmut.mutation import trampoline

        os.environ["MUTANT_UNDER_TEST"] = _stats_env.pop()
        trampoline._mutant_under_test = None


# ---- 1 and 2: the tests of import-time functions, fastest first -------------------------------------

_import_time: set[str] = set()
_runtime_tests: set[str] = set()


# The hooks an import-time function installs are closures defined inside it (`popen_init` inside
# `_hook_child_processes`): mutmut mutates them as part of that function but never sees them run (no
# trampoline). A profiler during the stats run records which tests run each one's closures; the
# function is then filed under those tests and the fast unit tests, not under every test: a mutant in
# the child-process hook runs the tests that start children, not the 268 others.
_closure_hits: dict[str, set[str]] = {}
_current_test: list[str] = [""]
_UNIT_TESTS = "test/python/test_runtime_units.py::"


def _profile(frame: Any, event: str, arg: Any) -> None:
    if event != "call":
        return
    qualname = frame.f_code.co_qualname
    if "__mutmut_orig.<locals>." not in qualname or not _current_test[0]:
        return
    outer = qualname.split("__mutmut_orig.<locals>.", 1)[0]
    _closure_hits.setdefault(f"_xaccount.{outer}", set()).add(_current_test[0])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Any:
    if _mode() != "stats":
        yield
        return
    _current_test[0] = item.nodeid
    try:
        yield
    finally:
        _current_test[0] = ""


def pytest_collection_finish(session: pytest.Session) -> None:
    if _mode() != "stats":
        return
    from mutmut.state import state

    # What the imports during collection called, before any test ran.
    _import_time.update(state()._stats)
    state()._stats.clear()
    _runtime_tests.update(item.nodeid for item in session.items)
    sys.setprofile(_profile)
    threading.setprofile(_profile)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _mode() != "stats" or not _import_time:
        return
    sys.setprofile(None)
    threading.setprofile(None)
    from mutmut.state import state

    units = {t for t in _runtime_tests if t.startswith(_UNIT_TESTS)}
    for name in _import_time:
        hits = _closure_hits.get(name)
        state().tests_by_mangled_function_name[name] |= (hits | units) if hits else _runtime_tests


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if _mode() in ("", "stats", "fail"):
        return
    try:
        durations = json.loads(Path("mutmut-stats.json").read_text())["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


# ---- 3: a pool of moto servers -------------------------------------------------------------------


def _auth_count(extra_env: Mapping[str, str] | None, permissive: str | None) -> str:
    return (extra_env or {}).get("INITIAL_NO_AUTH_ACTION_COUNT", "0" if permissive is None else "inf")


def _post(url: str, body: bytes | None = None) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).close()


def _pooled(conftest: Any, original_start: Any) -> Any:
    def start_moto(extra_env: Mapping[str, str] | None = None, *, permissive: str | None = None) -> Any:
        key = json.dumps([sorted((extra_env or {}).items()), permissive is None])
        slot_key = hashlib.sha1(key.encode()).hexdigest()[:12]
        POOL.mkdir(parents=True, exist_ok=True)
        for n in range(8):
            base = POOL / f"{slot_key}-{n}"
            lock = open(f"{base}.lock", "a+")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            _held.append(lock)
            info_file = Path(f"{base}.json")
            info = json.loads(info_file.read_text()) if info_file.exists() else None
            if info and _alive(info["pid"], info["endpoint"]):
                endpoint = info["endpoint"]
                _post(f"{endpoint}/moto-api/reset")
                _post(f"{endpoint}/moto-api/recorder/reset-recording")
                _post(f"{endpoint}/moto-api/reset-auth", _auth_count(extra_env, permissive).encode())
                log = Path(info["log"])
                with open(log, "r+b") as f:  # the server appends (O_APPEND): truncating is safe
                    f.truncate(0)
                server = conftest.MotoServer(endpoint, _Detached(info["pid"]), info["enforcing"], log)
                return server
            # A new server for this slot, in its own session so it outlives this mutant's process.
            server = _start_detached(conftest, extra_env, permissive)
            info_file.write_text(json.dumps({
                "pid": server.process.pid, "endpoint": server.endpoint,
                "enforcing": server.enforcing, "log": str(server.log),
            }))
            server.process = _Detached(server.process.pid)
            return server
        return original_start(extra_env, permissive=permissive)

    return start_moto


def _start_detached(conftest: Any, extra_env: Mapping[str, str] | None, permissive: str | None) -> Any:
    import tempfile

    port = conftest._free_port()
    endpoint = f"http://127.0.0.1:{port}"
    scratch = Path(tempfile.mkdtemp(prefix="xaccount-moto-pool-"))
    log_path = scratch / "server.log"
    log = open(log_path, "ab")
    env = {
        **os.environ,
        "MOTO_ENABLE_RECORDING": "True",
        "MOTO_RECORDER_FILEPATH": str(scratch / "recording.jsonl"),
        "INITIAL_NO_AUTH_ACTION_COUNT": "0" if permissive is None else "inf",
        **(extra_env or {}),
    }
    env.pop("MUTANT_UNDER_TEST", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True,
    )
    log.close()
    with open(POOL / "pids", "a") as f:
        f.write(f"{process.pid}\n")
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited early:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto server did not answer on {endpoint} within 30 s")
            time.sleep(0.1)
    enforcing = permissive is None and "INITIAL_NO_AUTH_ACTION_COUNT" not in (extra_env or {})
    return conftest.MotoServer(endpoint, process, enforcing, log_path)


def _alive(pid: int, endpoint: str) -> bool:
    try:
        os.kill(pid, 0)
        urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
        return True
    except OSError:
        return False


class _Detached:
    """Stands in for a pooled server's Popen: stop_moto's terminate/wait/kill leave it running."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> None:
        return None

    def terminate(self) -> None:
        pass

    def kill(self) -> None:
        pass

    def wait(self, timeout: float | None = None) -> int:
        return 0


def pytest_plugin_registered(plugin: Any) -> None:
    # The root conftest (test/python/conftest.py) defines start_moto; the test modules import it from
    # there after it is registered, so they get the pooled one.
    if getattr(plugin, "__name__", "") == "conftest" and hasattr(plugin, "start_moto") and _mode() not in ("", "stats", "fail"):
        if not getattr(plugin.start_moto, "_pooled", False):
            pooled = _pooled(plugin, plugin.start_moto)
            pooled._pooled = True  # type: ignore[attr-defined]
            plugin.start_moto = pooled


def stop_pool() -> None:
    """Stops every pooled server (run.mjs calls this at the end of a run)."""
    pids = POOL / "pids"
    if pids.exists():
        for line in pids.read_text().split():
            try:
                os.killpg(int(line), signal.SIGTERM)
            except (OSError, ValueError):
                pass
    if POOL.exists():
        for f in POOL.iterdir():
            f.unlink()


if __name__ == "__main__" and sys.argv[1:] == ["stop-pool"]:
    stop_pool()
