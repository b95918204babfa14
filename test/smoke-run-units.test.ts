/**
 * The decisions of `xaccount test`'s run (src/smoke/run.ts), in-process: every AWS-facing check and
 * the server check are fakes passed through runSmokeTest's `aws` seam, which record what they were
 * asked. Which regions (and where they came from), which accounts, what is skipped and why, the order
 * and concurrency of the phases, the progress lines, the facts handed to the server check and the
 * verdict. The real checks are tested in smoke-units (against a fake endpoint) and end to end in
 * smoke-test. Nothing here touches the network; the whole file runs in well under a second.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AWS_CHECKS, runSmokeTest, type SmokeChecks, type SmokeReport } from "../src/smoke/run.js";
import type { CheckResult } from "../src/smoke/checks.js";
import type { AssumedRole, CallerIdentity } from "../src/aws/sts.js";
import type { StackSummary } from "../src/aws/readonly.js";
import { callName, type ServerCheckInput } from "../src/smoke/server.js";
import { checkAssumeRole, checkIdentity, checkListClusters, checkListStacks } from "../src/smoke/checks.js";
import { runServerChecks } from "../src/smoke/server.js";
import { configuredRegion } from "../src/aws/readonly.js";
import type { SmokePlan } from "../src/smoke/plan.js";

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const CALLER = "999999999999";
const role = { roleName: "R", externalId: undefined, sessionName: "s1", durationSeconds: 900 };
const pass = (name: string): CheckResult => ({ name, ok: true, durationMs: 1, detail: "d" });
const fail = (name: string): CheckResult => ({ name, ok: false, durationMs: 1, detail: "d", fix: "f" });
const skip = (name: string): CheckResult => ({ name, ok: false, skipped: true, durationMs: 1, detail: "d", fix: "f" });
const status = (r: CheckResult) => (r.ok ? "PASS" : r.skipped ? "SKIP" : "FAIL");
const cluster = (account: string, region: string) => `arn:aws:ecs:${region}:${account}:cluster/c-${region}`;
const stack = (account: string, region: string): StackSummary => ({ name: `s-${account}-${region}`, id: "x", status: "CREATE_COMPLETE" });

function assumedRole(accountId: string): AssumedRole {
  return {
    accountId,
    roleArn: `arn:aws:iam::${accountId}:role/R`,
    sessionArn: `arn:aws:sts::${accountId}:assumed-role/R/s1`,
    region: "us-east-1",
    expiration: undefined,
    clientConfig: { region: "us-east-1", credentials: { accessKeyId: "k", secretAccessKey: "s", sessionToken: "t" } },
  };
}

interface Script {
  /** The region the SDK's configuration gives; undefined: none configured. */
  configured?: string;
  /** Check 1 fails when false. */
  identityOk?: boolean;
  /** Accounts whose AssumeRole fails. */
  denied?: string[];
  /** The ListClusters result of an account in a region (default: PASS). */
  clusters?: (account: string, region: string) => CheckResult["ok"] | "skip";
  /** Milliseconds an account's AssumeRole takes (to shuffle the order accounts settle in). */
  delay?: Record<string, number>;
  /** An account whose AssumeRole throws (a bug in a check). */
  throwsFor?: string;
  serverResults?: CheckResult[];
}

/** Fake checks that record every call (in the order made) and the most calls in flight at once. */
function fakeChecks(script: Script = {}) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let serverInput: ServerCheckInput | undefined;
  const caller: CallerIdentity = { account: CALLER, arn: `arn:aws:iam::${CALLER}:user/dev`, userId: "u" };
  const aws: SmokeChecks = {
    configuredRegion: async (profile) => {
      calls.push(`configuredRegion ${profile}`);
      return script.configured;
    },
    identity: async (region, profile) => {
      calls.push(`identity ${region} ${profile}`);
      const name = "source identity (sts:GetCallerIdentity)";
      return script.identityOk === false ? { result: fail(name), value: undefined } : { result: pass(name), value: caller };
    },
    assumeRole: async (accountId, r, region, who, profile) => {
      calls.push(`assume ${accountId} ${r.roleName} ${region} ${who?.account} ${profile}`);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((res) => setTimeout(res, script.delay?.[accountId] ?? 1));
      inFlight--;
      if (accountId === script.throwsFor) throw new Error("a bug in the assume check");
      const name = `assume ${accountId}`;
      return script.denied?.includes(accountId) ? { result: fail(name), value: undefined } : { result: pass(name), value: assumedRole(accountId) };
    },
    listClusters: async (accountId, region, assumed) => {
      calls.push(`clusters ${accountId} ${region} ${assumed.accountId}`);
      const name = `ecs:ListClusters in ${accountId} ${region}`;
      const verdict = script.clusters?.(accountId, region) ?? true;
      if (verdict === "skip") return { result: skip(name), value: undefined };
      return verdict ? { result: pass(name), value: [cluster(accountId, region)] } : { result: fail(name), value: undefined };
    },
    listStacks: async (accountId, region, assumed) => {
      calls.push(`stacks ${accountId} ${region} ${assumed.accountId}`);
      return { result: pass(`cloudformation:ListStacks in ${accountId} ${region}`), value: [stack(accountId, region)] };
    },
    server: async (input, hooks) => {
      calls.push("server");
      serverInput = input;
      const results = script.serverResults ?? [pass("server check")];
      // The server check reports its own results to the hooks.
      for (const r of results) hooks.done(r);
      return results;
    },
  };
  return { aws, calls, maxInFlight: () => maxInFlight, serverInput: () => serverInput };
}

function plan(extra: Partial<SmokePlan> = {}): SmokePlan {
  return { accounts: [], regions: [], server: undefined, python: undefined, role, ...extra };
}

/** Runs with fakes; returns the report, the calls made, and the hooks' events in order. */
async function run(p: SmokePlan, script: Script = {}, env: NodeJS.ProcessEnv = {}) {
  const fake = fakeChecks(script);
  const events: string[] = [];
  const report = await runSmokeTest(p, { env, serverTimeoutMs: 1234 }, { start: (n) => events.push(`start ${n}`), done: (r) => events.push(`${status(r)} ${r.name}`) }, fake.aws);
  return { report, events, ...fake };
}

test("the real checks are the default seam", () => {
  assert.deepEqual(AWS_CHECKS, {
    configuredRegion,
    identity: checkIdentity,
    assumeRole: checkAssumeRole,
    listClusters: checkListClusters,
    listStacks: checkListStacks,
    server: runServerChecks,
  });
});

test("--regions: used as given, the first is home (check 1 runs there); the configured region is not asked", async () => {
  const { report, calls } = await run(plan({ regions: ["eu-west-1", "ap-south-1"], accounts: [A], profile: "dev" }), { configured: "us-west-2" });
  assert.deepEqual(report.regions, ["eu-west-1", "ap-south-1"]);
  assert.equal(report.regionSource, "--regions");
  assert.deepEqual(calls, [
    "identity eu-west-1 dev",
    `assume ${A} R eu-west-1 ${CALLER} dev`,
    `clusters ${A} eu-west-1 ${A}`,
    `stacks ${A} eu-west-1 ${A}`,
    `clusters ${A} ap-south-1 ${A}`,
    `stacks ${A} ap-south-1 ${A}`,
  ]);
});

test("no --regions: the configured region (asked with --profile), else us-east-1; --json's regionSource says which", async () => {
  const configured = await run(plan({ accounts: [A], profile: "dev" }), { configured: "ap-south-1" });
  assert.deepEqual(configured.report.regions, ["ap-south-1"]);
  assert.equal(configured.report.regionSource, "the configured region (AWS_REGION / profile)");
  assert.deepEqual(configured.calls.slice(0, 2), ["configuredRegion dev", "identity ap-south-1 dev"]);

  const none = await run(plan({ accounts: [A] }), { configured: undefined });
  assert.deepEqual(none.report.regions, ["us-east-1"]);
  assert.equal(none.report.regionSource, "no region configured; using us-east-1");
  assert.deepEqual(none.calls.slice(0, 2), ["configuredRegion undefined", "identity us-east-1 undefined"]);
});

test("--accounts: those accounts in the order given, not the caller's; each assumed with the plan's role and the caller", async () => {
  const { report, calls } = await run(plan({ accounts: [B, A], regions: ["eu-west-1"] }));
  assert.deepEqual(report.accounts, [B, A]);
  assert.deepEqual(
    calls.filter((c) => c.startsWith("assume")),
    [`assume ${B} R eu-west-1 ${CALLER} undefined`, `assume ${A} R eu-west-1 ${CALLER} undefined`],
  );
  assert.deepEqual(report.checks.map((r) => r.name), [
    "source identity (sts:GetCallerIdentity)",
    `assume ${B}`,
    `assume ${A}`,
    `ecs:ListClusters in ${B} eu-west-1`,
    `cloudformation:ListStacks in ${B} eu-west-1`,
    `ecs:ListClusters in ${A} eu-west-1`,
    `cloudformation:ListStacks in ${A} eu-west-1`,
  ]);
  assert.equal(report.ok, true);
});

test("no --accounts: the caller's own account", async () => {
  const { report, calls } = await run(plan({ regions: ["eu-west-1"] }));
  assert.deepEqual(report.accounts, [CALLER]);
  assert.ok(calls.includes(`assume ${CALLER} R eu-west-1 ${CALLER} undefined`), calls.join("\n"));
  assert.equal(report.ok, true);
});

test("no --accounts and check 1 failed: one SKIP for the caller's account, no AssumeRole, and the server is not started", async () => {
  const server = { kind: "ecs" as const, path: "/srv" };
  const { report, calls } = await run(plan({ regions: ["eu-west-1"], server }), { identityOk: false });
  assert.deepEqual(report.accounts, []);
  assert.deepEqual(calls, ["identity eu-west-1 undefined"]);
  assert.deepEqual(report.checks.map((r) => [r.name, status(r)]), [
    ["source identity (sts:GetCallerIdentity)", "FAIL"],
    ["assume the role in the caller's account", "SKIP"],
    [callName("ecs", "the caller's account"), "SKIP"],
  ]);
  assert.equal(report.ok, false);
  // With accounts given, check 1 failing does not stop them (the caller is then unknown to the fix).
  const given = await run(plan({ regions: ["eu-west-1"], accounts: [A] }), { identityOk: false });
  assert.deepEqual(given.report.checks.map(status), ["FAIL", "PASS", "PASS", "PASS"]);
  assert.ok(given.calls.includes(`assume ${A} R eu-west-1 undefined undefined`), given.calls.join("\n"));
});

test("an account whose role was not assumed: its read-only calls SKIP in every region, named, and are not made", async () => {
  const { report, calls } = await run(plan({ accounts: [A, B], regions: ["eu-west-1", "us-west-2"] }), { denied: [A] });
  assert.ok(!calls.some((c) => /^(clusters|stacks) 111111111111/.test(c)), calls.join("\n"));
  assert.deepEqual(report.checks.slice(3).map((r) => [r.name, status(r)]), [
    [`ecs:ListClusters in ${A} eu-west-1`, "SKIP"],
    [`cloudformation:ListStacks in ${A} eu-west-1`, "SKIP"],
    [`ecs:ListClusters in ${A} us-west-2`, "SKIP"],
    [`cloudformation:ListStacks in ${A} us-west-2`, "SKIP"],
    [`ecs:ListClusters in ${B} eu-west-1`, "PASS"],
    [`cloudformation:ListStacks in ${B} eu-west-1`, "PASS"],
    [`ecs:ListClusters in ${B} us-west-2`, "PASS"],
    [`cloudformation:ListStacks in ${B} us-west-2`, "PASS"],
  ]);
  assert.equal(report.ok, false, "the failed assume check fails the run");
});

test("the server check gets the plan, the home region and each account's facts from the home region only", async () => {
  const server = { kind: "iac" as const, path: "/srv" };
  const env = { AWS_REGION: "x", MARK: "1" };
  const serverResults = [pass("server a"), skip("server b")];
  const p = plan({ accounts: [A, B], regions: ["eu-west-1", "us-west-2"], server, python: "/py", profile: "dev" });
  const { report, serverInput, events } = await run(p, { denied: [B], serverResults }, env);
  assert.deepEqual(serverInput(), {
    spec: server,
    python: "/py",
    profile: "dev",
    role,
    region: "eu-west-1",
    accounts: [
      { accountId: A, region: "eu-west-1", clusters: [cluster(A, "eu-west-1")], stacks: [stack(A, "eu-west-1")] },
      { accountId: B, region: "eu-west-1", clusters: undefined, stacks: undefined },
    ],
    baseEnv: env,
    timeoutMs: 1234,
  });
  assert.deepEqual(report.checks.slice(-2), serverResults, "the server's results end the report");
  // Each result is reported to the hooks once: the server check reports its own.
  assert.equal(events.filter((e) => !e.startsWith("start ")).length, report.checks.length);
});

test("the facts of a failed ListClusters are unknown (undefined), not empty", async () => {
  const server = { kind: "ecs" as const, path: "/srv" };
  const { serverInput } = await run(plan({ accounts: [A], regions: ["eu-west-1"], server }), { clusters: () => false });
  assert.deepEqual(serverInput()!.accounts, [{ accountId: A, region: "eu-west-1", clusters: undefined, stacks: [stack(A, "eu-west-1")] }]);
});

test("the verdict: PASS and SKIP are ok, one FAIL anywhere is not (the server's included)", async () => {
  const p = plan({ accounts: [A], regions: ["eu-west-1"] });
  assert.equal((await run(p, { clusters: () => "skip" })).report.ok, true, "a SKIP proved nothing but failed nothing");
  assert.equal((await run(p, { clusters: () => false })).report.ok, false);
  const server = { kind: "ecs" as const, path: "/srv" };
  assert.equal((await run({ ...p, server }, { serverResults: [skip("s")] })).report.ok, true);
  assert.equal((await run({ ...p, server }, { serverResults: [pass("s"), fail("t")] })).report.ok, false);
});

test("accounts are worked on --concurrency at a time (16 by default) and reported in the order given", async () => {
  const accounts = [A, B, C];
  // A settles last: the report still lists it first.
  const delay = { [A]: 40, [B]: 1, [C]: 10 };
  const one = await run(plan({ accounts, regions: ["eu-west-1"], concurrency: 1 }), { delay });
  assert.equal(one.maxInFlight(), 1);
  const two = await run(plan({ accounts, regions: ["eu-west-1"], concurrency: 2 }), { delay });
  assert.equal(two.maxInFlight(), 2);
  const byDefault = await run(plan({ accounts, regions: ["eu-west-1"] }), { delay });
  assert.equal(byDefault.maxInFlight(), 3);
  for (const r of [one, two, byDefault]) {
    assert.deepEqual(r.report.checks.slice(1, 4).map((c) => c.name), [`assume ${A}`, `assume ${B}`, `assume ${C}`]);
    assert.deepEqual(r.report.checks.slice(4).map((c) => c.name.split(" ")[2]), [A, A, B, B, C, C]);
  }
});

test("progress: each phase's line counts the accounts done, never the last (its results follow); results come in order", async () => {
  const { events } = await run(plan({ accounts: [A, B], regions: ["eu-west-1"], concurrency: 1 }));
  assert.deepEqual(events, [
    "start source identity (sts:GetCallerIdentity)",
    "PASS source identity (sts:GetCallerIdentity)",
    "start assume role: 0/2 accounts",
    "start assume role: 1/2 accounts",
    `PASS assume ${A}`,
    `PASS assume ${B}`,
    "start read-only calls: 0/2 accounts",
    "start read-only calls: 1/2 accounts",
    `PASS ecs:ListClusters in ${A} eu-west-1`,
    `PASS cloudformation:ListStacks in ${A} eu-west-1`,
    `PASS ecs:ListClusters in ${B} eu-west-1`,
    `PASS cloudformation:ListStacks in ${B} eu-west-1`,
  ]);
});

test("a check that throws (a bug: checks return their failures) rejects the run instead of passing silently", async () => {
  await assert.rejects(run(plan({ accounts: [A, B], regions: ["eu-west-1"] }), { throwsFor: B }), /a bug in the assume check/);
});

test("the report: ok, accounts, regions, regionSource and every check, as SmokeReport", async () => {
  const { report } = await run(plan({ accounts: [A], regions: ["eu-west-1"] }));
  const expected: SmokeReport = {
    ok: true,
    accounts: [A],
    regions: ["eu-west-1"],
    regionSource: "--regions",
    checks: [
      pass("source identity (sts:GetCallerIdentity)"),
      pass(`assume ${A}`),
      pass(`ecs:ListClusters in ${A} eu-west-1`),
      pass(`cloudformation:ListStacks in ${A} eu-west-1`),
    ],
  };
  assert.deepEqual(report, expected);
});
