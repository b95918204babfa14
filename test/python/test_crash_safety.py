"""Crash safety on the real servers (issue 10): `kill -9` after every write step of a patch and of a revert.

The kill comes from the test-only hook in src/codemod/write.ts: XACCOUNT_TEST_CRASH_AFTER_STEP=k makes the CLI
SIGKILL itself right after write step k (1: the journal is on disk; then each file's temp file and its rename;
last: the journal removed). k runs from 1 until a run finishes unkilled, so every step of the real plan is
covered, whatever the release. After each crash:
  - `--revert` finds the journal, says so on stderr, and the tree is byte for byte the original (sha256 of
    every file, hidden ones included: no journal, no stray temp file left);
  - a re-patch completes;
  - for the *_PROBED_STEPS (starting a server costs seconds) `--check` passes and the re-patched server starts over
    MCP stdio and lists its tools, each local one with account_id.
Uses the cached real servers of servers.py: ECS 0.1.37 and 0.1.1, IaC 1.0.26 and 1.0.0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import ALL_SERVERS, InstalledServer, ServerCopy, fresh_copy, install, tree_digest
from test_real_servers import describe, is_remote_tool, probe, run_cli, xaccount_cli  # noqa: F401 (fixture)

DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
SIGKILL_EXIT = -9
JOURNAL = "_xaccount_journal.json"
MAX_STEPS = 200  # a bound that only a hook that never fires would reach


# Steps after which the server is started (a start costs seconds under load, the bulk of this file's time;
# every step is still reverted byte for byte and re-patched). Patch: the journal alone (step 1), and the step
# after the runtime's rename (the first rename), when the first source is in place too. Revert: step 3.
REVERT_PROBED_STEPS = frozenset({3})


def crash_after(cli: list[str], k: int, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "XACCOUNT_TEST_CRASH_AFTER_STEP": str(k)}
    return subprocess.run([*cli, *map(str, args)], env=env, capture_output=True, text=True, timeout=120)


def copy_of(base: ServerCopy, dest: Path) -> ServerCopy:
    shutil.copytree(base.site_packages, dest)
    return ServerCopy(base.spec, base.python, dest, dest / base.spec.package_path)


def assert_starts_with_tools(copy: ServerCopy, tmp: Path) -> None:
    listed = probe(copy, DUMMY_AWS, [], tmp)
    local = [t for t in listed["tools"] if not is_remote_tool(t["name"])]
    assert local, "the re-patched server lists no tools"
    for tool in local:
        assert "account_id" in tool["inputSchema"].get("properties", {}), f"{tool['name']} lacks account_id"


@pytest.fixture(scope="module", params=ALL_SERVERS, ids=lambda s: s.id)
def installed(request: pytest.FixtureRequest) -> InstalledServer:
    return install(request.param)


def crash_every_step(cli: list[str], base: ServerCopy, dest: Path, *args: str) -> Iterator[tuple[int, ServerCopy, bool]]:
    """Yields (k, copy, journal_left) for k = 1, 2, ... with `patch <args>` on a fresh copy of base killed after
    write step k; stops after the first k at which the run finishes unkilled (every step then covered)."""
    for k in range(1, MAX_STEPS):
        copy = copy_of(base, dest / f"k{k}")
        proc = crash_after(cli, k, "patch", base.spec.profile, copy.site_packages, *args)
        if proc.returncode == 0:
            shutil.rmtree(copy.site_packages)
            assert k > 5, f"only {k - 1} write steps: journal, runtime, a source, manifest and journal removal at least"
            return
        assert proc.returncode == SIGKILL_EXIT, f"step {k}: {describe(proc)}"
        yield k, copy, (copy.package_dir / JOURNAL).exists()
        shutil.rmtree(copy.site_packages)
    raise AssertionError("the crash hook never let the run finish")


def test_patch_killed_after_every_write_step_reverts_exactly_and_repatches(
    installed: InstalledServer, xaccount_cli: list[str], tmp_path: Path
) -> None:
    spec = installed.spec
    base = fresh_copy(installed, tmp_path / "base")
    original = tree_digest(base.site_packages)
    runtime_renamed_at = probes = 0
    for k, copy, journal_left in crash_every_step(xaccount_cli, base, tmp_path):
        if not runtime_renamed_at and (copy.package_dir / "_xaccount.py").exists():
            runtime_renamed_at = k
        reverted = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages, "--revert")
        assert reverted.returncode == 0, f"step {k}: {describe(reverted)}"
        if journal_left:
            assert reverted.stderr.count("warning[patch-interrupted]") == 1, f"step {k}: {describe(reverted)}"
        assert tree_digest(copy.site_packages) == original, f"step {k}: --revert did not restore every byte"

        repatched = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages)
        assert repatched.returncode == 0, f"step {k}: {describe(repatched)}"
        if k == 1 or (runtime_renamed_at and k == runtime_renamed_at + 1):
            checked = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages, "--check")
            assert checked.returncode == 0, f"step {k}: {describe(checked)}"
            assert_starts_with_tools(copy, tmp_path)
            probes += 1
    assert probes == 2, f"the server was started after {probes} crash(es), not 2"


def test_revert_killed_after_every_write_step_then_revert_restores_exactly(
    installed: InstalledServer, xaccount_cli: list[str], tmp_path: Path
) -> None:
    spec = installed.spec
    base = fresh_copy(installed, tmp_path / "base")
    original = tree_digest(base.site_packages)
    first = run_cli(xaccount_cli, "patch", spec.profile, base.site_packages)
    assert first.returncode == 0, describe(first)
    patched = tree_digest(base.site_packages)
    probes = 0
    for k, copy, journal_left in crash_every_step(xaccount_cli, base, tmp_path, "--revert"):
        if k in REVERT_PROBED_STEPS and journal_left:
            # A patch after a crashed revert rolls the revert back: the tree is the patched one again, and runs.
            again = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages)
            assert again.returncode == 0, f"step {k}: {describe(again)}"
            assert "warning[patch-interrupted]: a revert" in again.stderr, describe(again)
            assert tree_digest(copy.site_packages) == patched, f"step {k}: the rolled-back revert left other bytes"
            assert_starts_with_tools(copy, tmp_path)
            probes += 1

        reverted = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages, "--revert")
        assert reverted.returncode == 0, f"step {k}: {describe(reverted)}"
        assert tree_digest(copy.site_packages) == original, f"step {k}: --revert did not restore every byte"
        repatched = run_cli(xaccount_cli, "patch", spec.profile, copy.site_packages)
        assert repatched.returncode == 0, f"step {k}: {describe(repatched)}"
        assert tree_digest(copy.site_packages) == patched, f"step {k}: the re-patch differs from the first patch"
    assert probes == 1, "the server was not started after a rolled-back revert"
