/**
 * `xaccount accounts` against the emulator with IAM enforced: an organization made by the management
 * account's administrator, two top-level OUs (one holding a nested OU) and five member accounts, one more
 * account closed. The CLI runs as a child process, as a user runs it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
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
import { PACKAGE_ROOT } from "../src/version.js";
import { ADMIN, MOTO_DEFAULT_ACCOUNT, startMoto, type Identity, type Moto } from "./helpers/moto.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const OUTSIDER = "111111111111";

let moto: Moto;
let admin: Identity;
let noOrgRights: Identity;
let outsider: Identity;
/** name -> id of the member accounts */
const ids = new Map<string, string>();
let ouDev: string;
let ouTeam: string;
let ouProd: string;
let root: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function xaccount(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

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
});

after(async () => {
  await moto?.stop();
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
