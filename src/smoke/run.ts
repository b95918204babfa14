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

export async function runSmokeTest(plan: SmokePlan, ctx: RunContext, hooks: CheckHooks): Promise<SmokeReport> {
  const checks: CheckResult[] = [];
  const add = (result: CheckResult): void => {
    checks.push(result);
    hooks.done(result);
  };

  let regions = plan.regions;
  let regionSource = "--regions";
  if (regions.length === 0) {
    const configured = await configuredRegion(plan.profile);
    // With no region configured, the runtime and both servers use us-east-1 too.
    regions = [configured ?? FALLBACK_REGION];
    regionSource = configured ? "the configured region (AWS_REGION / profile)" : `no region configured; using ${FALLBACK_REGION}`;
  }
  const home = regions[0]!;

  hooks.start("source identity (sts:GetCallerIdentity)");
  const identity = await checkIdentity(home, plan.profile);
  add(identity.result);
  const caller = identity.value;

  const accounts = plan.accounts.length > 0 ? plan.accounts : caller ? [caller.account] : [];
  if (accounts.length === 0) {
    const name = "assume the role in the caller's account";
    add(skipped(name, "the caller's account is unknown (check 1 failed) and --accounts was not given"));
  }

  const assumed = new Map<string, AssumedRole>();
  for (const accountId of accounts) {
    const name = `assume role in ${accountId}`;
    hooks.start(name);
    const r = await checkAssumeRole(accountId, plan.role, home, caller, plan.profile);
    add(r.result);
    if (r.value) assumed.set(accountId, r.value);
  }

  const facts: AccountFacts[] = [];
  for (const accountId of accounts) {
    const role = assumed.get(accountId);
    for (const region of regions) {
      let clusters: string[] | undefined;
      let stacks: StackSummary[] | undefined;
      if (!role) {
        add(skipped(`ecs:ListClusters in ${accountId} ${region}`, `the role in ${accountId} could not be assumed`));
        add(skipped(`cloudformation:ListStacks in ${accountId} ${region}`, `the role in ${accountId} could not be assumed`));
      } else {
        hooks.start(`ecs:ListClusters in ${accountId} ${region}`);
        const c = await checkListClusters(accountId, region, role);
        add(c.result);
        clusters = c.value;
        hooks.start(`cloudformation:ListStacks in ${accountId} ${region}`);
        const s = await checkListStacks(accountId, region, role);
        add(s.result);
        stacks = s.value;
      }
      if (region === home) facts.push({ accountId, region, clusters, stacks });
    }
  }

  if (plan.server) {
    if (accounts.length === 0) {
      add(skipped(callName(plan.server.kind, "the caller's account"), "no account to call the server in"));
    } else {
      const results = await runServerChecks(
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
