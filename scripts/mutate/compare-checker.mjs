/* global process, console */
/**
 * `node scripts/mutate/compare-checker.mjs <report.json>...`: file-typescript-checker.mjs's verdicts on
 * the mutants of earlier StrykerJS reports, made with StrykerJS's own TypeScript checker, side by side:
 * how many agree, each that does not, and the CPU per mutant. The evidence docs/mutation.md gives for
 * the checker; run it again after changing it. Mutants a sample did not draw and ignored ones are skipped.
 * A report's mutants are placed in the code it was made on: compare only reports of files unchanged since
 * (on changed files the mutants land elsewhere and the verdicts differ for that reason alone).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FileTypescriptChecker } from "./file-typescript-checker.mjs";
import { NOT_DRAWN } from "./sample-checker.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const checker = new FileTypescriptChecker({ tsconfigFile: path.join(ROOT, "scripts", "mutate", "tsconfig.check.json") });
let started = Date.now();
await checker.init();
console.log(`start: ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const reportFile of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(reportFile, "utf8"));
  const mutants = [];
  for (const [fileName, { mutants: list }] of Object.entries(report.files)) {
    for (const m of list) {
      if (m.status === "Ignored" || (m.status === "CompileError" && m.statusReason === NOT_DRAWN)) continue;
      // the report's lines and columns count from 1, a checker's from 0
      const at = (p) => ({ line: p.line - 1, column: p.column - 1 });
      mutants.push({ ...m, fileName: path.join(ROOT, fileName), location: { start: at(m.location.start), end: at(m.location.end) } });
    }
  }
  const cpu = process.cpuUsage();
  started = Date.now();
  const verdicts = {};
  for (const group of await checker.group(mutants)) Object.assign(verdicts, await checker.check(mutants.filter((m) => group.includes(m.id))));
  const used = process.cpuUsage(cpu);
  const differ = mutants.filter((m) => (verdicts[m.id].status === "compileError") !== (m.status === "CompileError"));
  console.log(`${reportFile}: ${mutants.length} mutants, ${mutants.length - differ.length} same verdict, ${differ.length} different; ` +
    `${((used.user + used.system) / 1000 / mutants.length).toFixed(0)} ms CPU per mutant, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const m of differ) {
    console.log(`  ${path.relative(ROOT, m.fileName)}:${m.location.start.line + 1} ${m.mutatorName} ${JSON.stringify(m.replacement.slice(0, 60))}: StrykerJS ${m.status}, this ${verdicts[m.id].status}`);
  }
}
