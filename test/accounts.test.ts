/**
 * `xaccount accounts` against the emulator with IAM enforced: an organization made by the management
 * account's administrator, two top-level OUs (one holding a nested OU) and five member accounts, one more
 * account closed. The CLI runs as a child process, as a user runs it.
 *
 * `xaccount test --org|--ou` runs as the MCP host (sts:AssumeRole and the Organizations reads), after
 * `xaccount create-role --profile <one per account>` made the role in every account at once.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import {
  CloseAccountCommand,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity, type Moto } from "./helpers/moto.js";
import { xaccount } from "./helpers/cli.js";

const OUTSIDER = "111111111111";

let moto: Moto;
let work: string;
/** The MCP host: sts:AssumeRole and the Organizations reads `test --org` makes. */
let host: Identity;
let admin: Identity;
let noOrgRights: Identity;
let outsider: Identity;
/** name -> id of the member accounts */
const ids = new Map<string, string>();
let ouDev: string;
let ouTeam: string;
let ouProd: string;
let root: string;

before(async () => {
  moto = await startMoto();
  [admin, noOrgRights, outsider] = (await moto.bootstrap([
    { account: MOTO_DEFAULT_ACCOUNT, name: "admin", actions: ADMIN },
    { account: MOTO_DEFAULT_ACCOUNT, name: "no-org-rights", actions: ["sts:GetCallerIdentity"] },
    { account: OUTSIDER, name: "admin", actions: ADMIN },
  ])) as [Identity, Identity, Identity];
  const org = new OrganizationsClient({ region: "us-east-1", endpoint: moto.endpoint, credentials: admin.credentials });
  await org.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  root = (await org.send(new ListRootsCommand({}))).Roots![0]!.Id!;
  const ou = async (name: string, parent: string): Promise<string> =>
    (await org.send(new CreateOrganizationalUnitCommand({ Name: name, ParentId: parent }))).OrganizationalUnit!.Id!;
  ouDev = await ou("dev", root);
  ouTeam = await ou("team", ouDev);
  ouProd = await ou("prod", root);
  const account = async (name: string, parent: string): Promise<string> => {
    const id = (await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!.AccountId!;
    if (parent !== root) await org.send(new MoveAccountCommand({ AccountId: id, SourceParentId: root, DestinationParentId: parent }));
    ids.set(name, id);
    return id;
  };
  await account("shared", root);
  await account("dev-a", ouDev);
  await account("dev b, old", ouDev);
  await account("team-x", ouTeam);
  await account("prod-a", ouProd);
  // Closed: never listed, whatever its OU.
  const closed = await account("closed-dev", ouTeam);
  await org.send(new CloseAccountCommand({ AccountId: closed }));
  ids.delete("closed-dev");
  org.destroy();

  // The role in the management account and the five members, made by one create-role over six profiles.
  [host] = await moto.bootstrap([{ account: MOTO_DEFAULT_ACCOUNT, name: "mcp-host", actions: ["sts:AssumeRole", ...ORG_READS] }]) as [Identity];
  const memberAdmins = await moto.bootstrap([...ids.values()].map((account) => ({ account, name: "admin", actions: ADMIN })));
  work = mkdtempSync(path.join(os.tmpdir(), "xaccount-org-"));
  const everyAdmin = [admin, ...memberAdmins];
  writeFileSync(
    path.join(work, "credentials"),
    everyAdmin.map((a) => `[admin-${a.account}]\naws_access_key_id = ${a.credentials.accessKeyId}\naws_secret_access_key = ${a.credentials.secretAccessKey}\n`).join("\n"),
  );
  profilesEnv = { ...moto.env, AWS_SHARED_CREDENTIALS_FILE: path.join(work, "credentials"), AWS_CONFIG_FILE: path.join(work, "config") };
  writeFileSync(path.join(work, "config"), "");
  const profiles = everyAdmin.map((a) => `admin-${a.account}`);
  const made = await xaccount(["create-role", "--trust-principal", host.arn, "--profile", profiles.join(","), "--concurrency", "6"], withoutKeys(profilesEnv));
  assert.equal(made.status, 0, `${made.stdout}\n${made.stderr}`);
  // One line per profile, in the order given, whichever account finished first.
  const lines = made.stderr.split("\n").filter((l) => /^\[\d+\/6\] profile \S+: /.test(l));
  assert.deepEqual(lines.map((l) => l.replace(/:.*/, "")), profiles.map((p, i) => `[${i + 1}/6] profile ${p}`));
});

const ORG_READS = [
  "organizations:DescribeOrganization",
  "organizations:ListAccounts",
  "organizations:ListAccountsForParent",
  "organizations:ListOrganizationalUnitsForParent",
];
let profilesEnv: Record<string, string>;

/** An environment whose credentials come from --profile only. */
function withoutKeys(env: Record<string, string>): Record<string, string> {
  return { ...env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" };
}

after(async () => {
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Listed {
  id: string;
  name: string;
}

async function listJson(args: string[]): Promise<Listed[]> {
  const r = await xaccount(["accounts", ...args, "--json"], admin.env);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout) as Listed[];
}

const byName = (names: string[]): Listed[] =>
  names.map((name) => ({ id: ids.get(name)!, name })).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

test("--ou lists exactly the OU's ACTIVE accounts, through its nested OU; another OU only its own", async () => {
  assert.deepEqual(await listJson(["--ou", ouDev]), byName(["dev-a", "dev b, old", "team-x"]));
  assert.deepEqual(await listJson(["--ou", ouTeam]), byName(["team-x"]));
  assert.deepEqual(await listJson(["--ou", ouProd]), byName(["prod-a"]));
});

test("--org (and no option) lists every ACTIVE account: the management account and the five members, not the closed one", async () => {
  const all = await listJson(["--org"]);
  const expected = [{ id: MOTO_DEFAULT_ACCOUNT, name: "master" }, ...byName([...ids.keys()])].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  assert.deepEqual(all, expected);
  assert.deepEqual(await listJson([]), expected);
});

test("--format csv is the name=id list `test --accounts` takes; --format env the runtime's id allowlist; the table has ids and names", async () => {
  const csv = await xaccount(["accounts", "--ou", ouDev, "--format", "csv"], admin.env);
  assert.equal(csv.status, 0, csv.stderr);
  const entries = byName(["dev-a", "dev b, old", "team-x"]);
  // The comma and space in "dev b, old" would split the list: they become '-'.
  assert.equal(csv.stdout.trim(), entries.map((a) => `${a.name.replace(/[^A-Za-z0-9._-]/g, "-")}=${a.id}`).join(","));
  assert.match(csv.stdout, /dev-b--old=/);

  const env = await xaccount(["accounts", "--ou", ouDev, "--format", "env"], admin.env);
  assert.equal(env.status, 0, env.stderr);
  assert.equal(env.stdout.trim(), `XACCOUNT_ALLOWED_ACCOUNTS=${entries.map((a) => a.id).join(",")}`);

  const table = await xaccount(["accounts", "--ou", ouProd], admin.env);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^${ids.get("prod-a")}  prod-a$`, "m"));

  // `test --accounts` takes the csv form as it is: a malformed id in it is still refused before any call.
  const bad = await xaccount(["test", "--accounts", "dev=12345"], admin.env);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /error\[account-id-invalid\]/);
});

test("a caller whose account is in no organization exits 1 with org-not-in-use", async () => {
  const r = await xaccount(["accounts", "--org"], outsider.env);
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /error\[org-not-in-use\]/);
  assert.equal(r.stdout, "");
});

test("a caller without the Organizations permissions exits 1 with org-access-denied", async () => {
  const r = await xaccount(["accounts", "--org"], noOrgRights.env);
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /error\[org-access-denied\]/);
});

test("an OU that does not exist exits 2 with ou-not-found; a malformed id exits 2 with ou-id-invalid before any call", async () => {
  const missing = await xaccount(["accounts", "--ou", `ou-${root.slice(2)}-zzzzzzzz`], admin.env);
  assert.equal(missing.status, 2, `${missing.stdout}\n${missing.stderr}`);
  assert.match(missing.stderr, /error\[ou-not-found\]/);

  // No credentials at all: a call would fail with aws-credentials, so ou-id-invalid proves none was made.
  const noCreds = { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "xaccount-no-such-profile", AWS_CONFIG_FILE: "/nonexistent", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent" };
  for (const bad of ["ou-1", "123456789012", "ou-ab12-cdef3456; rm", ""]) {
    const r = await xaccount(["accounts", "--ou", bad], { ...admin.env, ...noCreds });
    assert.equal(r.status, 2, `${bad}: ${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /error\[ou-id-invalid\]/, bad);
  }
  const both = await xaccount(["accounts", "--ou", ouDev, "--org"], admin.env);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error\[options-conflict\]/);
});

interface JsonReport {
  ok: boolean;
  accounts: string[];
  checks: Array<{ name: string; ok: boolean; skipped: boolean }>;
}

test("test --org checks every ACTIVE account of the organization; --ou the OU's, recursively; a missing OU exits 2", async () => {
  const everyone = [MOTO_DEFAULT_ACCOUNT, ...ids.values()];
  const org = await xaccount(["test", "--org", "--json"], host.env);
  assert.equal(org.status, 0, `${org.stdout}\n${org.stderr}`);
  const report = JSON.parse(org.stdout) as JsonReport;
  assert.deepEqual([...report.accounts].sort(), [...everyone].sort());
  for (const account of everyone) {
    for (const check of [`assume arn:aws:iam::${account}:role/McpReadOnlyRole`, `ecs:ListClusters in ${account}`, `cloudformation:ListStacks in ${account}`]) {
      assert.ok(report.checks.some((c) => c.name.startsWith(check) && c.ok), `${check}:\n${org.stdout}`);
    }
  }

  const ou = await xaccount(["test", "--ou", ouDev, "--json"], host.env);
  assert.equal(ou.status, 0, `${ou.stdout}\n${ou.stderr}`);
  assert.deepEqual([...(JSON.parse(ou.stdout) as JsonReport).accounts].sort(), ["dev-a", "dev b, old", "team-x"].map((n) => ids.get(n)!).sort());

  const missing = await xaccount(["test", "--ou", `ou-${root.slice(2)}-zzzzzzzz`], host.env);
  assert.equal(missing.status, 2, `${missing.stdout}\n${missing.stderr}`);
  assert.match(missing.stderr, /error\[ou-not-found\]/);
  const both = await xaccount(["test", "--org", "--accounts", MOTO_DEFAULT_ACCOUNT], host.env);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /error\[options-conflict\]/);
  const outside = await xaccount(["test", "--org"], outsider.env);
  assert.equal(outside.status, 1);
  assert.match(outside.stderr, /error\[org-not-in-use\]/);
});

/**
 * A proxy in front of the emulator that holds AssumeRole into one account for `delayMs`, so that account
 * finishes last under concurrency, and refuses AssumeRole into another as AWS would a role that does not
 * trust the caller (moto hands out a session for any role ARN). The Host header is passed on as it is:
 * it is part of the signature.
 */
async function slowProxy(slowAccount: string, delayMs: number, deniedAccount: string): Promise<{ url: string; server: Server }> {
  const target = new URL(moto.endpoint);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const text = decodeURIComponent(body.toString());
      const slow = text.includes(`arn:aws:iam::${slowAccount}:role/`);
      if (text.includes(`arn:aws:iam::${deniedAccount}:role/`)) {
        res.writeHead(403, { "content-type": "text/xml" });
        res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole on arn:aws:iam::${deniedAccount}:role/McpReadOnlyRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`);
        return;
      }
      setTimeout(() => {
        const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        out.on("error", () => res.destroy());
        out.end(body);
      }, slow ? delayMs : 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server };
}

test("under --concurrency the report keeps the order given: a slow first account and a failing one stay in place", async () => {
  const slow = ids.get("prod-a")!;
  const given = [slow, OUTSIDER, ids.get("shared")!, ids.get("dev-a")!, MOTO_DEFAULT_ACCOUNT];
  const proxy = await slowProxy(slow, 1500, OUTSIDER);
  try {
    const r = await xaccount(["test", "--accounts", given.map((id, i) => `n${i}=${id}`).join(","), "--concurrency", "5", "--json"], { ...host.env, AWS_ENDPOINT_URL: proxy.url });
    // AssumeRole into OUTSIDER is refused: the run exits 1, its reads are skipped, the others still pass.
    assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.deepEqual(report.accounts, given);
    const assumes = report.checks.filter((c) => c.name.startsWith("assume arn:"));
    assert.deepEqual(assumes.map((c) => c.name), given.map((id) => `assume arn:aws:iam::${id}:role/McpReadOnlyRole`));
    assert.deepEqual(assumes.map((c) => c.ok), [true, false, true, true, true]);
    const reads = report.checks.filter((c) => /^(ecs|cloudformation):/.test(c.name)).map((c) => c.name.split(" ")[2]);
    assert.deepEqual(reads, given.flatMap((id) => [id, id]));
  } finally {
    proxy.server.close();
  }
});
