"""Runs a server release's own unit tests (shipped in its sdist) against a given copy of the package.

The sdist's `tests/` folder is fetched once per release into the server's cache folder, and the test
runner packages it needs (pytest and its plugins, at the versions the release's own uv.lock names) are
installed into the server's venv once. `run_upstream_tests` runs them with the copy first on PYTHONPATH
and returns each test's outcome, read from pytest's JUnit XML so it works with any pytest version.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from servers import InstalledServer, ServerCopy

# The runner packages upstream's tests use, pinned from the release's uv.lock when it names them.
RUNNER_PACKAGES = ("pytest", "pytest-asyncio", "pytest-mock")


@dataclass(frozen=True)
class UpstreamTests:
    root: Path  # folder holding `tests/` (and upstream's pyproject.toml, for its pytest settings)
    test_files: int
    prepare_seconds: float  # 0.0 when cached


def _run(cmd: list[str], what: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _runner_pins(uv_lock: Path) -> list[str]:
    lock = tomllib.loads(uv_lock.read_text())
    versions = {p["name"]: p["version"] for p in lock.get("package", []) if "version" in p}
    return [f"{name}=={versions[name]}" if name in versions else name for name in RUNNER_PACKAGES if name in versions or name == "pytest"]


def prepare(installed: InstalledServer) -> UpstreamTests:
    """The release's unit tests, extracted from its sdist, with their runner installed in the venv."""
    spec = installed.spec
    root = installed.venv / "upstream-tests"
    marker = root / ".xaccount-ready"
    if marker.exists():
        return UpstreamTests(root, len(list((root / "tests").rglob("test_*.py"))), 0.0)
    started = time.monotonic()
    if root.exists():
        shutil.rmtree(root)
    download = installed.venv / "sdist"
    download.mkdir(parents=True, exist_ok=True)
    _run(
        [str(installed.python), "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"{spec.distribution}=={spec.version}", "-d", str(download)],
        f"downloading the sdist of {spec.key}",
    )
    [archive] = list(download.glob("*.tar.gz"))
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.split("/", 1)[-1].startswith(("tests/", "pyproject.toml", "uv.lock"))]
        for member in members:
            member.name = member.name.split("/", 1)[1]  # drop "<dist>-<version>/"
        tar.extractall(root, members=members, filter="data")
    pins = _runner_pins(root / "uv.lock") if (root / "uv.lock").exists() else list(RUNNER_PACKAGES)
    _run([str(installed.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
         f"installing the test runner for {spec.key}")
    marker.write_text("\n".join(pins))
    return UpstreamTests(root, len(list((root / "tests").rglob("test_*.py"))), time.monotonic() - started)


@dataclass(frozen=True)
class Outcomes:
    results: dict[str, str]  # test id -> "passed" | "failed" | "error" | "skipped"
    seconds: float
    output: str

    def with_outcome(self, outcome: str) -> set[str]:
        return {test for test, result in self.results.items() if result == outcome}


def run_upstream_tests(tests: UpstreamTests, copy: ServerCopy, work: Path, select: list[str] | None = None) -> Outcomes:
    """Runs upstream's tests (or the `select`ed paths under tests/) against `copy`."""
    work.mkdir(parents=True, exist_ok=True)
    junit = work / "junit.xml"
    started = time.monotonic()
    env = copy.env({"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    # Nothing may reach AWS: an unmocked call fails fast instead of waiting on the network.
                    "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1",
                    "FASTMCP_CHECK_FOR_UPDATES": "off",
                    # Same HOME for every run: some upstream test ids embed paths under it.
                    "HOME": str(work.parent / "home")})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")  # keep bytecode out of the copy
    proc = subprocess.run(
        [str(copy.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         f"--junitxml={junit}", *(select or ["tests"])],
        cwd=tests.root, env=env, capture_output=True, text=True, timeout=1800,
    )
    seconds = time.monotonic() - started
    if not junit.exists():
        raise RuntimeError(f"upstream tests did not run (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    results: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
        results[test_id] = outcome
    return Outcomes(results, seconds, proc.stdout[-6000:])


def summary(outcomes: Outcomes) -> str:
    counts = {k: len(outcomes.with_outcome(k)) for k in ("passed", "failed", "error", "skipped")}
    return ", ".join(f"{v} {k}" for k, v in counts.items()) + f" in {outcomes.seconds:.1f} s"
