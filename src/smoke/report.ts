/**
 * How `xaccount test` shows its checks: one line per check as it finishes (with a spinner for the
 * running one on a terminal), a summary, or one JSON document with --json.
 */
import type { Io } from "../output.js";
import type { CheckResult } from "./checks.js";
import type { SmokeReport } from "./run.js";
import type { CheckHooks } from "./server.js";

export function formatCheck(result: CheckResult, io: Pick<Io, "c">): string {
  const { c } = io;
  const mark = result.ok ? c.green("PASS") : result.skipped ? c.yellow("SKIP") : c.red("FAIL");
  const lines = [`${mark} ${result.name} ${c.dim(`(${result.durationMs} ms)`)}`, `     ${result.detail.split("\n").join("\n     ")}`];
  const label = result.skipped ? "to prove it:" : "fix:";
  if (!result.ok && result.fix) lines.push(`     ${c.bold(label)} ${result.fix.split("\n").join("\n     ")}`);
  return lines.join("\n");
}

/** Passed, failed and skipped (proved nothing) checks: the three are counted apart. */
export function countChecks(report: Pick<SmokeReport, "checks">): { passed: number; failed: number; skipped: number } {
  const failed = report.checks.filter((r) => !r.ok && !r.skipped).length;
  const skipped = report.checks.filter((r) => r.skipped).length;
  return { passed: report.checks.length - failed - skipped, failed, skipped };
}

export function formatSummary(report: SmokeReport, io: Pick<Io, "c">): string {
  const { passed, failed, skipped } = countChecks(report);
  const total = report.checks.reduce((sum, r) => sum + r.durationMs, 0);
  const counts = `${passed} passed, ${failed} failed, ${skipped} skipped in ${(total / 1000).toFixed(1)} s`;
  if (!report.ok) return io.c.red(`checks failed (${counts})`);
  if (skipped > 0) return io.c.yellow(`no check failed, but ${skipped} proved nothing: see SKIP above (${counts})`);
  return io.c.green(`all checks passed (${counts})`);
}

export function toJson(report: SmokeReport): string {
  return JSON.stringify(
    {
      ok: report.ok,
      accounts: report.accounts,
      regions: report.regions,
      regionSource: report.regionSource,
      ...countChecks(report),
      checks: report.checks.map((r) => ({
        name: r.name,
        ok: r.ok,
        skipped: r.skipped ?? false,
        durationMs: r.durationMs,
        detail: r.detail,
        fix: r.fix ?? null,
      })),
    },
    null,
    2,
  );
}

const FRAMES = ["|", "/", "-", "\\"];

/**
 * Progress for the checks. On a terminal: a spinner line on stderr while a check runs, replaced by
 * its result. Otherwise plain result lines as they finish. With --json nothing goes to stdout until
 * the end, so stdout stays one document.
 */
export function progressHooks(io: Io, json: boolean, stderrWrite: (s: string) => void): CheckHooks & { stop: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  const clear = (): void => {
    clearInterval(timer); // a no-op when no spinner runs
    timer = undefined;
    if (io.interactive) stderrWrite("\r\x1b[2K");
  };
  return {
    start: (name) => {
      clear();
      if (!io.interactive) return;
      const t0 = Date.now();
      const draw = (): void => {
        stderrWrite(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${name} ${io.cErr.dim(`${((Date.now() - t0) / 1000).toFixed(1)} s`)}`);
      };
      draw();
      timer = setInterval(draw, 100);
      timer.unref();
    },
    done: (result) => {
      clear();
      if (!json) io.out(formatCheck(result, io));
    },
    stop: clear,
  };
}
