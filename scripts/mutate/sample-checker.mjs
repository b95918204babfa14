/* global process */
/**
 * A StrykerJS "checker" that draws a random sample of an area's mutants (`npm run mutate -- <area>
 * --sample P%`): a whole first run of the codemod or aws area takes hours on a 2-core machine, a sample
 * gives its score, with a margin, in the time at hand.
 *
 * Each mutant is drawn or not by a hash of what it is (file, place, mutator, replacement) and a fixed
 * seed: the same mutants are drawn on every run of the same code, whatever order StrykerJS checks them
 * in, and a mutant keeps its draw when code elsewhere changes. A mutant not drawn is reported as a
 * compile error whose reason is NOT_DRAWN (StrykerJS then never runs it); run.mjs counts those apart
 * and leaves them out of every figure. Listed before the TypeScript checker, so only drawn mutants
 * are type-checked. The fraction comes from XACCOUNT_MUTATE_SAMPLE (0 < f <= 1), the seed from
 * XACCOUNT_MUTATE_SEED, both set by run.mjs. Tests written for the survivors of one sample make that
 * sample's next score optimistic: re-measure on a sample of another seed.
 */
import { createHash } from "node:crypto";
import { CheckStatus } from "@stryker-mutator/api/check";
import { PluginKind, declareClassPlugin } from "@stryker-mutator/api/plugin";

export const NOT_DRAWN = "not drawn in the sample";
/** The seed of the first samples; another one (`--seed`) draws a sample independent of them. */
export const DEFAULT_SEED = "xaccount-14";

/**
 * Whether a mutant is in a sample of the given fraction: a pure function of the mutant's identity. Its
 * file is named from `src/` on, the same in the project and in any StrykerJS sandbox.
 */
export function drawn(mutant, fraction, seed = DEFAULT_SEED) {
  const name = mutant.fileName.replace(/\\/g, "/");
  const file = name.slice(name.lastIndexOf("/src/") + 1);
  const { start, end } = mutant.location;
  const identity = [seed, file, `${start.line}:${start.column}-${end.line}:${end.column}`, mutant.mutatorName, mutant.replacement].join("|");
  const draw = createHash("sha256").update(identity).digest().readUInt32BE(0) / 2 ** 32;
  return draw < fraction;
}

class SampleChecker {
  static inject = [];
  fraction = Number(process.env.XACCOUNT_MUTATE_SAMPLE ?? "1");
  seed = process.env.XACCOUNT_MUTATE_SEED || DEFAULT_SEED;

  async init() {
    if (!(this.fraction > 0 && this.fraction <= 1)) {
      throw new Error(`XACCOUNT_MUTATE_SAMPLE must be a fraction in (0, 1], not ${process.env.XACCOUNT_MUTATE_SAMPLE}`);
    }
  }

  async check(mutants) {
    return Object.fromEntries(
      mutants.map((m) => [m.id, drawn(m, this.fraction, this.seed) ? { status: CheckStatus.Passed } : { status: CheckStatus.CompileError, reason: NOT_DRAWN }]),
    );
  }

  /** One group for all: the draw needs no compiler, so there is nothing to gain from smaller groups. */
  async group(mutants) {
    return [mutants.map((m) => m.id)];
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Checker, "sample", SampleChecker)];
