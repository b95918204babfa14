/**
 * Runs the checks of `xaccount test` in order: identity, AssumeRole per account, read-only calls per
 * account and region, then (with --server) the patched server. A check whose prerequisite failed is
 * reported as not run rather than failing again with a less useful message.
 */
import { FALLBACK_REGION } from "../aws/clients.js";
import { configuredRegion, type StackSummary } from "../aws/readonly.js";
import type { AssumedRole } from "../aws/sts.js";
import { checkAssumeRole, checkIdentity, checkListClusters, checkListStacks, skipped, type CheckResult } from "./checks.js";
import type { SmokePlan } from "./plan.js";
import { DEFAULT_CONCURRENCY, mapBounded, type Settled } from "../concurrency.js";
import { runServerChecks, callName, type AccountFacts, type CheckHooks } from "./server.js";

export interface SmokeReport {
  ok: boolean;
  accounts: string[];
  regions: string[];
  /** Where the region came from when --regions was not given. */
  regionSource: string;
  checks: CheckResult[];
}

export interface RunContext {
  env: NodeJS.ProcessEnv;
  serverTimeoutMs: number;
}

/**
 * What the run asks of AWS and of the server, one check at a time. The run itself only decides: which
 * regions and accounts, what is skipped and why, in which order, what the report says. The real checks
 * are the default; unit tests pass fakes to test those decisions in-process.
 */
export interface SmokeChecks {
  configuredRegion: (profile: string | undefined) => Promise<string | undefined>;
  identity: typeof checkIdentity;
  assumeRole: typeof checkAssumeRole;
  listClusters: typeof checkListClusters;
  listStacks: typeof checkListStacks;
  server: typeof runServerChecks;
}

export const AWS_CHECKS: SmokeChecks = {
  configuredRegion,
  identity: checkIdentity,
  assumeRole: checkAssumeRole,
  listClusters: checkListClusters,
  listStacks: checkListStacks,
  server: runServerChecks,
};

export async function runSmokeTest(plan: SmokePlan, ctx: RunContext, hooks: CheckHooks, aws: SmokeChecks = AWS_CHECKS): Promise<SmokeReport> {
  const checks: CheckResult[] = [];
  const add = (result: CheckResult): void => {
    checks.push(result);
    hooks.done(result);
  };

  let regions = plan.regions;
  let regionSource = "--regions";
  if (regions.length === 0) {
    const configured = await aws.configuredRegion(plan.profile);
    // With no region configured, the runtime and both servers use us-east-1 too.
    regions = [configured ?? FALLBACK_REGION];
    regionSource = configured ? "the configured region (AWS_REGION / profile)" : `no region configured; using ${FALLBACK_REGION}`;
  }
  const home = regions[0]!;

  hooks.start("source identity (sts:GetCallerIdentity)");
  const identity = await aws.identity(home, plan.profile);
  add(identity.result);
  const caller = identity.value;

  const accounts = plan.accounts.length > 0 ? plan.accounts : caller ? [caller.account] : [];
  if (accounts.length === 0) {
    const name = "assume the role in the caller's account";
    add(skipped(name, "the caller's account is unknown (check 1 failed) and --accounts was not given"));
  }

  // Each phase works on up to `concurrency` accounts at once and reports them in the order given, so the
  // report (and each check's semantics) is the same as one account after the other, only sooner.
  const concurrency = plan.concurrency ?? DEFAULT_CONCURRENCY;
  const inOrder = <T>(phase: string, work: (accountId: string) => Promise<{ results: CheckResult[]; value: T }>): Promise<Array<Settled<{ results: CheckResult[]; value: T }>>> => {
    hooks.start(`${phase}: 0/${accounts.length} accounts`);
    return mapBounded(accounts, concurrency, work, {
      onInOrder: (_i, r) => {
        // A check never throws (its failure is its result); a bug that did would be reported as one.
        if (r.ok) for (const result of r.value.results) add(result);
        else throw r.error;
      },
      // A progress line only: hooks draw it on a terminal and nothing otherwise.
      onSettled: (n, total) => {
        if (n < total) hooks.start(`${phase}: ${n}/${total} accounts`);
      },
    });
  };

  // undefined for an account whose role could not be assumed: its read-only calls are skipped.
  const assumed = new Map<string, AssumedRole | undefined>();
  await inOrder("assume role", async (accountId) => {
    const r = await aws.assumeRole(accountId, plan.role, home, caller, plan.profile);
    assumed.set(accountId, r.value);
    return { results: [r.result], value: undefined };
  });

  const perAccount = await inOrder("read-only calls", async (accountId) => {
    const role = assumed.get(accountId);
    const results: CheckResult[] = [];
    let fact: AccountFacts | undefined;
    for (const region of regions) {
      let clusters: string[] | undefined;
      let stacks: StackSummary[] | undefined;
      if (!role) {
        results.push(skipped(`ecs:ListClusters in ${accountId} ${region}`, `the role in ${accountId} could not be assumed`));
        results.push(skipped(`cloudformation:ListStacks in ${accountId} ${region}`, `the role in ${accountId} could not be assumed`));
      } else {
        const c = await aws.listClusters(accountId, region, role);
        results.push(c.result);
        clusters = c.value;
        const s = await aws.listStacks(accountId, region, role);
        results.push(s.result);
        stacks = s.value;
      }
      if (region === home) fact = { accountId, region, clusters, stacks };
    }
    return { results, value: fact };
  });
  const facts: AccountFacts[] = perAccount.flatMap((r) => (r.ok && r.value.value ? [r.value.value] : []));

  if (plan.server) {
    if (accounts.length === 0) {
      add(skipped(callName(plan.server.kind, "the caller's account"), "no account to call the server in"));
    } else {
      const results = await aws.server(
        {
          spec: plan.server,
          python: plan.python,
          profile: plan.profile,
          role: plan.role,
          region: home,
          accounts: facts,
          baseEnv: ctx.env,
          timeoutMs: ctx.serverTimeoutMs,
        },
        hooks,
      );
      checks.push(...results);
    }
  }

  // A SKIP is not a failure; a check skipped because one it depends on failed sits next to that FAIL.
  return { ok: checks.every((c) => c.ok || c.skipped), accounts, regions, regionSource, checks };
}
