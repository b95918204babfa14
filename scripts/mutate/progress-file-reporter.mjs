/* global process */
/**
 * A StrykerJS reporter that writes each mutant's verdict as it comes, one JSON line per mutant, to the
 * file named by XACCOUNT_MUTATE_PROGRESS (set by run.mjs: reports/mutation/<area>.progress.jsonl).
 *
 * StrykerJS writes its JSON report only when a run ends, so a run stopped after an hour (to give the
 * machine to CI, or because it would not fit) used to leave nothing. With this file, `npm run mutate --
 * <area> --report` summarises what a stopped run had checked. The file is started afresh by each run.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PluginKind, declareClassPlugin } from "@stryker-mutator/api/plugin";

/** The fields run.mjs's summary reads, as in StrykerJS's JSON report. */
export function progressLine(result) {
  const { id, fileName, mutatorName, replacement, location, status, statusReason } = result;
  return JSON.stringify({ id, fileName, mutatorName, replacement, location, status, statusReason }) + "\n";
}

class ProgressFileReporter {
  static inject = [];
  file = process.env.XACCOUNT_MUTATE_PROGRESS;

  constructor() {
    if (!this.file) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, "");
  }

  onMutantTested(result) {
    if (this.file) appendFileSync(this.file, progressLine(result));
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, "progress-file", ProgressFileReporter)];
