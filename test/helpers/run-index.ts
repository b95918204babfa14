/**
 * A package index on loopback for `xaccount run` tests: a PEP 503 simple index serving a fake
 * awslabs.ecs-mcp-server (built from fixtures/smoke-ecs) and its dependencies from a wheelhouse
 * (.cache/run-wheels/, filled once from test/run-wheels.txt; later runs need no network at all).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";

export const TEST_PYTHON = process.env.XACCOUNT_TEST_PYTHON ?? path.join(PACKAGE_ROOT, ".venv", "bin", "python");
const WHEELHOUSE = path.join(PACKAGE_ROOT, ".cache", "run-wheels");
/** The fake release needs exactly Python 3.11 (the wheelhouse's), so `run` must pick python3.11, not the newest. */
export const FAKE_REQUIRES_PYTHON = ">=3.11,<3.12";

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export function ensureWheelhouse(): string {
  const marker = path.join(WHEELHOUSE, ".complete");
  if (existsSync(marker)) return WHEELHOUSE;
  const tmp = `${WHEELHOUSE}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync(
    TEST_PYTHON,
    ["-m", "pip", "download", "-q", "--only-binary=:all:", "--python-version", "3.11", "-r", path.join(PACKAGE_ROOT, "test", "run-wheels.txt"), "-d", tmp],
    // pip's warnings about this machine's extra indexes are noise here; a failure still throws.
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  execFileSync("touch", [path.join(tmp, ".complete")]);
  rmSync(WHEELHOUSE, { recursive: true, force: true });
  renameSync(tmp, WHEELHOUSE);
  return WHEELHOUSE;
}

/**
 * Fake server wheels, one per version, in a fresh folder: fixtures/smoke-ecs, whose entry module exits
 * at once with FAKE_SERVER_EXIT when that is set (to see the exit code pass through `run`).
 */
export function buildFakeServer(versions: string[]): string {
  const out = mkdtempSync(path.join(os.tmpdir(), "xaccount-run-wheels-"));
  const tree = path.join(out, "tree");
  cpSync(path.join(PACKAGE_ROOT, "fixtures", "smoke-ecs"), tree, { recursive: true });
  const main = path.join(tree, "awslabs", "ecs_mcp_server", "main.py");
  const hook = 'import os as _os\nimport sys as _sys\n\nif _os.environ.get("FAKE_SERVER_EXIT"):\n    _sys.exit(int(_os.environ["FAKE_SERVER_EXIT"]))\n';
  writeFileSync(main, readFileSync(main, "utf8").replace(/^(""".*?"""\n)/s, `$1${hook}`));
  for (const v of versions) {
    execFileSync(TEST_PYTHON, [path.join(PACKAGE_ROOT, "test", "helpers", "make_wheel.py"), tree, "awslabs.ecs-mcp-server", v, FAKE_REQUIRES_PYTHON, out, "mcp<2", "boto3"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return out;
}

/**
 * A server no profile file knows, laid out like the AWS Labs template (awslabs/<name>_mcp_server/server.py,
 * FastMCP, boto3 calls in the tool, like the DynamoDB or CloudWatch servers), so `run` must build its
 * profile from the installed dist-info. With `aws: false` it makes no AWS call (like the documentation
 * server): `run` must refuse it rather than start it unpatched. `declaresBoto3` (default: as `aws`): its
 * wheel depends on boto3; false is code that imports boto3 in a release that does not install it, so its
 * virtualenv lacks botocore and `run` must refuse it with runtime-deps-missing.
 */
export function buildGenericServer(name: string, versions: string[], opts: { aws: boolean; declaresBoto3?: boolean }): string {
  const out = mkdtempSync(path.join(os.tmpdir(), `xaccount-run-${name}-`));
  const pkg = path.join(out, "tree", "awslabs", `${name.replace(/-/g, "_")}_mcp_server`);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(out, "tree", "awslabs", "__init__.py"), "# Namespace package, as in the real servers.\n");
  writeFileSync(path.join(pkg, "__init__.py"), `"""awslabs.${name}-mcp-server"""\n`);
  const tool = opts.aws
    ? `import boto3
from pydantic import Field


@mcp.tool(name="list_clusters")
async def list_clusters(
    max_results: int = Field(10, description="How many clusters to return"),
) -> str:
    """List the ECS clusters of the account."""
    client = boto3.client("ecs", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    arns = client.list_clusters(maxResults=max_results)["clusterArns"]
    return "\\n".join(arns) or "no clusters"
`
    : `from pydantic import Field


@mcp.tool(name="read_page")
async def read_page(
    url: str = Field(..., description="The page to read"),
) -> str:
    """Read one documentation page."""
    return "page " + url
`;
  writeFileSync(
    path.join(pkg, "server.py"),
    `"""awslabs ${name} MCP Server implementation."""

import os

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("awslabs.${name}-mcp-server", instructions="A test server.")

${tool}

def main() -> None:
    """Run the MCP server."""
    mcp.run()


if __name__ == "__main__":
    main()
`,
  );
  for (const v of versions) {
    execFileSync(TEST_PYTHON, [path.join(PACKAGE_ROOT, "test", "helpers", "make_wheel.py"), path.join(out, "tree"), `awslabs.${name}-mcp-server`, v, FAKE_REQUIRES_PYTHON, out, "mcp<2", ...((opts.declaresBoto3 ?? opts.aws) ? ["boto3"] : [])], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return out;
}

export interface TestIndex {
  url: string;
  /** Requests seen, as "GET /simple/x/". */
  requests: string[];
  close: () => Promise<void>;
}

/** Serves every wheel in `dirs` as a simple index at <url> (= http://127.0.0.1:<port>/simple). */
export async function serveIndex(dirs: string[]): Promise<TestIndex> {
  const files = new Map<string, string>();
  for (const d of dirs) for (const f of readdirSync(d)) if (f.endsWith(".whl") || f.endsWith(".tar.gz")) files.set(f, path.join(d, f));
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    requests.push(`${req.method} ${url}`);
    const project = /^\/simple\/([^/]+)\/?$/.exec(url);
    if (project) {
      const name = normalize(decodeURIComponent(project[1]!));
      const links = [...files.keys()]
        .filter((f) => normalize(f.split("-")[0]!) === name)
        .map((f) => {
          const rp = f.startsWith("awslabs_") ? ` data-requires-python="${FAKE_REQUIRES_PYTHON.replace(/</g, "&lt;").replace(/>/g, "&gt;")}"` : "";
          return `<a href="/files/${f}"${rp}>${f}</a>`;
        });
      if (links.length === 0) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "content-type": "text/html" }).end(`<!DOCTYPE html><html><body>\n${links.join("<br>\n")}\n</body></html>`);
      return;
    }
    const file = /^\/files\/([^/?#]+)/.exec(url);
    if (file && files.has(decodeURIComponent(file[1]!))) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(readFileSync(files.get(decodeURIComponent(file[1]!))!));
      return;
    }
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/simple`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An index URL nothing listens on: a closed loopback port. */
export async function deadIndexUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/simple`;
}

/** The environment that points a run at a test index and a private cache, isolated from pip's config. */
export function runEnv(indexUrl: string, cacheHome: string): Record<string, string> {
  return { PIP_INDEX_URL: indexUrl, PIP_CONFIG_FILE: "/dev/null", PIP_FIND_LINKS: "", PIP_EXTRA_INDEX_URL: "", XDG_CACHE_HOME: cacheHome, UV_INDEX_URL: "" };
}

export function newCacheHome(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "xaccount-run-cache-"));
  mkdirSync(d, { recursive: true });
  return d;
}
