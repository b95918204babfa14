"""Each real server release's own unit tests (from its sdist) still pass after `xaccount patch`.

Some upstream tests already fail on the unpatched release in this environment (dependency drift since
the release, e.g. fastmcp 4 under ecs 0.1.37); the claim checked is that none that passed before the
patch fails, errors, or disappears after it. Run alone with
    .venv/bin/python -m pytest -q test/python/test_real_server_unit_tests.py
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from servers import ALL_SERVERS, ServerSpec, fresh_copy, install
from test_real_servers import describe, run_cli, xaccount_cli  # noqa: F401  (xaccount_cli is a fixture)
from upstream_tests import prepare, run_upstream_tests, summary


def _imported_from(copy_python: Path, env: dict[str, str], module: str) -> str:
    proc = subprocess.run(
        [str(copy_python), "-c", f"import {module} as m; print(m.__file__)"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("spec", ALL_SERVERS, ids=lambda s: s.id)
def test_upstream_unit_tests_that_passed_still_pass_after_patch(
    spec: ServerSpec, xaccount_cli: list[str], tmp_path: Path  # noqa: F811
) -> None:
    installed = install(spec)
    tests = prepare(installed)
    assert tests.test_files > 0, f"the sdist of {spec.key} ships no tests/test_*.py"

    pristine = fresh_copy(installed, tmp_path / "pristine")
    patched = fresh_copy(installed, tmp_path / "patched")
    result = run_cli(xaccount_cli, "patch", spec.profile, patched.site_packages)
    assert result.returncode == 0, describe(result)
    # The tests must exercise the copy, not the venv's own install.
    module = spec.package_path.replace("/", ".")
    assert _imported_from(patched.python, patched.env(), module).startswith(str(patched.site_packages))

    before = run_upstream_tests(tests, pristine, tmp_path / "run-before")
    after = run_upstream_tests(tests, patched, tmp_path / "run-after")
    passed_before = before.with_outcome("passed")
    assert passed_before, f"no upstream test passes on the unpatched release: {summary(before)}\n{before.output}"
    broken = sorted(t for t in passed_before if after.results.get(t) != "passed")
    details = "\n".join(f"  {t}: {after.results.get(t, 'missing')}" for t in broken[:40])
    assert not broken, (
        f"{len(broken)} upstream test(s) passed before the patch and not after\n"
        f"before: {summary(before)}\nafter: {summary(after)}\n{details}\n--- pytest output after\n{after.output}"
    )
