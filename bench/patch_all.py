"""Time to patch every server of the PyPI matrix (test/python/servers.py MATRIX: twelve AWS Labs servers,
one per registration form) with `xaccount patch <path>`, each found from its dist-info: per server
(median of XACCOUNT_BENCH_RUNS runs, default 3, each on a fresh copy of the unpacked wheel) and in total,
plus the revert. Prints figures; asserts nothing. The wheels are downloaded once into .cache/wheels/.
A refused server (no-tools-found, no-aws-calls) is timed too: a refusal is work the user waits for.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "test" / "python"))

from servers import MATRIX, unpacked_wheel, wheel_copy  # noqa: E402

RUNS = int(os.environ.get("XACCOUNT_BENCH_RUNS", "3"))
CLI = ["node", str(ROOT / "bin" / "xaccount.js")]


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    return time.perf_counter() - started, proc


def outcome(proc: subprocess.CompletedProcess[str]) -> str:
    if proc.returncode == 0:
        report = json.loads(proc.stdout)
        return f"{len(report['toolsPatched'])} patched, {len(report['toolsSkipped'])} skipped"
    code = proc.stderr.split("error[", 1)[-1].split("]", 1)[0] if "error[" in proc.stderr else f"exit {proc.returncode}"
    return f"refused: {code}"


def main() -> None:
    for spec in MATRIX:
        unpacked_wheel(spec)  # downloads are not what we time
    print(f"xaccount patch <path> on {len(MATRIX)} PyPI servers, median of {RUNS} run(s) each, fresh copy per run")
    print(f"{'server':<52} {'patch':>8} {'revert':>8}  outcome")
    total_patch = total_revert = 0.0
    for spec in MATRIX:
        patch_times: list[float] = []
        revert_times: list[float] = []
        result = ""
        for _ in range(RUNS):
            work = Path(tempfile.mkdtemp(prefix="xa-bench-"))
            try:
                root = wheel_copy(spec, work / "site")
                seconds, proc = timed("patch", str(root), "--json")
                patch_times.append(seconds)
                result = outcome(proc)
                if proc.returncode == 0:
                    seconds, _ = timed("patch", str(root), "--revert")
                    revert_times.append(seconds)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        patch_s = statistics.median(patch_times)
        revert_s = statistics.median(revert_times) if revert_times else 0.0
        total_patch += patch_s
        total_revert += revert_s
        revert_txt = f"{revert_s:7.2f}s" if revert_times else f"{'-':>8}"
        print(f"{spec.key:<52} {patch_s:7.2f}s {revert_txt}  {result}")
    print(f"{'total (sum of medians)':<52} {total_patch:7.2f}s {total_revert:7.2f}s")


if __name__ == "__main__":
    main()
