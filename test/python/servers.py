"""The real upstream MCP servers from PyPI, installed once per pinned version and handed out as fresh copies.

Each (distribution, version) gets its own virtualenv under `.cache/servers/<dist>-<version>/`, created
on first use and reused afterwards (a marker file records a finished install, so an interrupted one is
redone). Upstream declares its dependencies unpinned, so the first install freezes what it resolved into
`test/python/server-locks/<dist>-<version>.txt`; later installs (CI) use that file as constraints and get
the same set, so a new fastmcp release cannot change what the tests prove.

Tests never patch the cached install: `fresh_copy()` copies the server package (and its dist-info) into a
temporary folder laid out like site-packages. The venv's python runs the server with that folder first on
PYTHONPATH, so the patched copy shadows the pristine one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("XACCOUNT_SERVER_CACHE", REPO_ROOT / ".cache" / "servers"))
LOCK_DIR = Path(__file__).resolve().parent / "server-locks"


@dataclass(frozen=True)
class ServerSpec:
    profile: str  # the `xaccount patch <profile>` name
    distribution: str  # PyPI name
    version: str
    package_path: str  # the import package inside site-packages
    entry_module: str  # started as `python -m <entry_module>`
    extra_params: tuple[str, ...]  # what every tool must gain
    # Extra pip requirements installed with the server. Only for releases that no longer start with what
    # their unpinned dependencies resolve to today; the values come from the release's own uv.lock.
    pins: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.distribution}-{self.version}"

    @property
    def id(self) -> str:
        return f"{self.profile}-{self.version}"


ECS_PARAMS = ("account_id", "region")
IAC_PARAMS = ("account_id",)

# The pinned versions, in one place. Newest: what users run today. Oldest: the oldest release on PyPI
# that is a real server (iac 0.0.0 is a name-reservation placeholder with no code, so 1.0.0).
ECS_NEWEST = ServerSpec("ecs", "awslabs.ecs-mcp-server", "0.1.37", "awslabs/ecs_mcp_server", "awslabs.ecs_mcp_server.main", ECS_PARAMS)
# The two oldest import `mcp.server.fastmcp`, which mcp 2.x removed (ModuleNotFoundError at import), so
# they get the mcp (and fastmcp) their own uv.lock names.
ECS_OLDEST = ServerSpec(
    "ecs", "awslabs.ecs-mcp-server", "0.1.1", "awslabs/ecs_mcp_server", "awslabs.ecs_mcp_server.main", ECS_PARAMS,
    pins=("mcp==1.9.1", "fastmcp==2.5.1", "pydantic==2.11.5"),
)
IAC_NEWEST = ServerSpec("iac", "awslabs.aws-iac-mcp-server", "1.0.26", "awslabs/aws_iac_mcp_server", "awslabs.aws_iac_mcp_server.server", IAC_PARAMS)
IAC_OLDEST = ServerSpec(
    "iac", "awslabs.aws-iac-mcp-server", "1.0.0", "awslabs/aws_iac_mcp_server", "awslabs.aws_iac_mcp_server.server", IAC_PARAMS,
    pins=("mcp==1.21.2",),
)

ALL_SERVERS = (ECS_NEWEST, ECS_OLDEST, IAC_NEWEST, IAC_OLDEST)


def _awslabs(short: str, version: str, entry: str = "server", module: str | None = None) -> ServerSpec:
    """A server with no profile file: `xaccount patch <path>` builds its profile from its metadata."""
    package = module or f"{short.replace('-', '_')}_mcp_server"
    return ServerSpec(short, f"awslabs.{short}-mcp-server", version, f"awslabs/{package}", f"awslabs.{package}.{entry}", IAC_PARAMS)


# The PyPI matrix (test/python/test_server_matrix.py): one server per registration form of issue 13,
# pinned to the newest release when the matrix was made.
EKS = _awslabs("eks", "0.2.1")  # bound methods: mcp.tool(name=...)(self.method)
CLOUDWATCH = _awslabs("cloudwatch", "0.3.1")  # bound methods across several tool classes
CLOUDTRAIL = _awslabs("cloudtrail", "0.1.1")  # bound methods
HEALTHOMICS = _awslabs("aws-healthomics", "0.1.5")  # functions imported from other modules, registered by call
IOT_SITEWISE = _awslabs("aws-iot-sitewise", "11.0.23")  # Tool.from_function(fn=...) in a loop
NETWORK = _awslabs("aws-network", "0.0.17")  # names from __all__ through getattr
TRANSFORM = _awslabs("aws-transform", "0.2.3")  # a (*args, **kwargs) functools.wraps registration wrapper
MQ = _awslabs("amazon-mq", "2.1.1")  # tools generated at start-up from the boto3 model
DYNAMODB = _awslabs("dynamodb", "2.1.8")  # plain @mcp.tool() functions
BILLING = _awslabs("billing-cost-management", "0.0.42")  # tools with an account_id of their own
MEMCACHED = _awslabs("memcached", "1.1.1", entry="main")  # no AWS call at all: refused, no-aws-calls
DOCUMENTATION = _awslabs("aws-documentation", "1.2.3")  # no AWS call at all: refused, no-aws-calls

MATRIX = (EKS, CLOUDWATCH, CLOUDTRAIL, HEALTHOMICS, IOT_SITEWISE, NETWORK, TRANSFORM, MQ, DYNAMODB, BILLING, MEMCACHED, DOCUMENTATION)
WHEEL_DIR = CACHE_DIR.parent / "wheels"

# Installed next to the server: the test talks to it with the official MCP client from this venv.
# Both fastmcp 3.x and the old servers' SDK already depend on `mcp`; named here so it is never missing.
CLIENT_REQUIREMENTS = ("mcp",)


@dataclass(frozen=True)
class InstalledServer:
    spec: ServerSpec
    venv: Path
    python: Path
    site_packages: Path
    install_seconds: float  # 0.0 when it came from the cache


@dataclass(frozen=True)
class ServerCopy:
    spec: ServerSpec
    python: Path
    site_packages: Path  # a temporary folder holding `awslabs/...` and the dist-info
    package_dir: Path  # site_packages / spec.package_path

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Environment that makes the venv's python import this copy before the cached install."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "XACCOUNT_"))}
        env["PYTHONPATH"] = str(self.site_packages)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep the copy's bytes exactly what patch wrote
        env.update(extra or {})
        return env


def _install_fingerprint(spec: ServerSpec, lock: Path) -> str:
    material = json.dumps([spec.distribution, spec.version, spec.pins, CLIENT_REQUIREMENTS, lock.read_text() if lock.exists() else ""])
    return hashlib.sha256(material.encode()).hexdigest()


def _run(cmd: list[str | Path], what: str) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def _site_packages(python: Path) -> Path:
    out = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], "locating site-packages")
    return Path(out.strip())


def install(spec: ServerSpec) -> InstalledServer:
    """Returns the cached venv for `spec`, creating it (from PyPI wheels) if missing or stale."""
    venv = CACHE_DIR / spec.key
    python = venv / "bin" / "python"
    marker = venv / ".xaccount-installed"
    lock = LOCK_DIR / f"{spec.key}.txt"
    fingerprint = _install_fingerprint(spec, lock)
    if marker.exists() and marker.read_text() == fingerprint and python.exists():
        return InstalledServer(spec, venv, python, _site_packages(python), 0.0)

    started = time.monotonic()
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", venv], f"creating a venv for {spec.key}")
    pip: list[str | Path] = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--prefer-binary"]
    constraints: list[str | Path] = ["-c", lock] if lock.exists() else []
    _run([*pip, *constraints, f"{spec.distribution}=={spec.version}", *spec.pins, *CLIENT_REQUIREMENTS], f"installing {spec.key} from PyPI")
    if not lock.exists():
        # First install anywhere: record what upstream's unpinned dependencies resolved to.
        frozen = _run([python, "-m", "pip", "freeze", "--all", "--exclude", "pip", "--exclude", "setuptools"], "pip freeze")
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        lock.write_text(
            f"# Resolved for {spec.distribution}=={spec.version} by test/python/servers.py; used as pip constraints.\n" + frozen
        )
        fingerprint = _install_fingerprint(spec, lock)
    marker.write_text(fingerprint)
    return InstalledServer(spec, venv, python, _site_packages(python), time.monotonic() - started)


def _dist_info(site_packages: Path, spec: ServerSpec) -> Path:
    prefix = spec.distribution.replace("-", "_").replace(".", "_").lower() + f"-{spec.version}"
    for entry in site_packages.iterdir():
        if entry.name.lower().startswith(prefix) and entry.name.endswith(".dist-info"):
            return entry
    raise FileNotFoundError(f"no dist-info for {spec.key} in {site_packages}")


def fresh_copy(installed: InstalledServer, dest: Path) -> ServerCopy:
    """Copies the installed server package into `dest` (a site-packages look-alike) for patching."""
    spec = installed.spec
    dest.mkdir(parents=True, exist_ok=True)
    top = spec.package_path.split("/")[0]  # "awslabs"
    shutil.copytree(
        installed.site_packages / top,
        dest / top,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    dist_info = _dist_info(installed.site_packages, spec)
    shutil.copytree(dist_info, dest / dist_info.name)
    return ServerCopy(spec, installed.python, dest, dest / spec.package_path)


def unpacked_wheel(spec: ServerSpec) -> Path:
    """The server's wheel from PyPI (no dependencies), unpacked once into `.cache/wheels/<key>/`: a folder
    laid out like site-packages (the package and its dist-info), enough for every static check. About
    0.3 s per server on first use; the folder is reused after (a marker records a finished unpack)."""
    target = WHEEL_DIR / spec.key
    marker = target / ".xaccount-unpacked"
    if marker.exists():
        return target
    WHEEL_DIR.mkdir(parents=True, exist_ok=True)
    stem = spec.distribution.replace("-", "_").replace(".", "_")
    wheel = next(WHEEL_DIR.glob(f"{stem}-{spec.version}-*.whl"), None)
    if wheel is None:
        _run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary", ":all:", "--dest", WHEEL_DIR, f"{spec.distribution}=={spec.version}"],
            f"downloading {spec.key} from PyPI",
        )
        wheel = next(WHEEL_DIR.glob(f"{stem}-{spec.version}-*.whl"))
    if target.exists():
        shutil.rmtree(target)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    marker.write_text(wheel.name)
    return target


def wheel_copy(spec: ServerSpec, dest: Path) -> Path:
    """A fresh copy of the unpacked wheel in `dest` (patched by the test, never the cache); returns dest."""
    shutil.copytree(unpacked_wheel(spec), dest, ignore=shutil.ignore_patterns(".xaccount-unpacked", "__pycache__"))
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root (relative path -> hex), ignoring bytecode caches."""
    digest: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


if __name__ == "__main__":
    # `python test/python/servers.py` pre-installs every pinned server and prints what each cost.
    # `python test/python/servers.py <short name> ...` installs those matrix servers in full.
    wanted = sys.argv[1:]
    chosen = [s for s in MATRIX if s.profile in wanted] if wanted else list(ALL_SERVERS)
    for server_spec in chosen:
        result = install(server_spec)
        print(f"{server_spec.key}: {result.install_seconds:.1f} s -> {result.venv}", flush=True)
