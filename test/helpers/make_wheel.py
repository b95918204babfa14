"""Builds a wheel of a fixture tree (pure Python, no build backend, no network) for `xaccount run` tests.

usage: make_wheel.py <tree> <distribution> <version> <requires-python> <out-dir> [<requirement>...]
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zipfile


def main() -> None:
    tree, dist, version, requires_python, out = sys.argv[1:6]
    requirements = sys.argv[6:]
    stem = dist.replace("-", "_").replace(".", "_")
    info = f"{stem}-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for root, dirs, names in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, tree).replace(os.sep, "/")
            with open(full, "rb") as f:
                files.append((rel, f.read()))
    metadata = [f"Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}", f"Requires-Python: {requires_python}"]
    metadata += [f"Requires-Dist: {r}" for r in requirements]
    files.append((f"{info}/METADATA", ("\n".join(metadata) + "\n").encode()))
    files.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: xaccount-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"))
    record = []
    for rel, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{rel},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    path = os.path.join(out, f"{stem}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in files:
            z.writestr(rel, data)
    print(path)


if __name__ == "__main__":
    main()
