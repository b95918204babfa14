/**
 * The pure parts of `npm run mutate` (scripts/mutate/*.mjs): how a sample is drawn, how a run's results
 * are counted, and the command line. A wrong draw or count would print a score that means nothing, with
 * no mutation run to notice it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "../src/version.js";

interface Location {
  start: { line: number; column: number };
  end: { line: number; column: number };
}
interface Mutant {
  id: string;
  fileName: string;
  mutatorName: string;
  replacement: string;
  location: Location;
  status?: string;
  statusReason?: string;
}
interface Options {
  areas: string[];
  sample: number;
  sampleFraction: number;
  seed: string;
  concurrency: number;
  mutate: string[];
}
interface Results {
  UsageError: new (message?: string) => Error;
  parseArgs(argv: string[], areas: string[]): Options;
  reportName(area: string, options: Partial<Options>): string;
  seedOf(options: Partial<Options>): string;
  concurrencyFor(tool: "stryker" | "mutmut", requested: number, cores: number): number;
  resultsSource(progressMtime: number | undefined, reportMtime: number | undefined): "progress" | "report" | undefined;
  score(results: Mutant[], inSample?: (m: Mutant) => boolean): { total: number; notDrawn: number; killed: number; survived: number; noCoverage: number; compileError: number; score: number };
  parseProgress(text: string): Mutant[];
  sample<T>(items: T[], count: number, seed?: number): T[];
  isMessageText(diff: string, firstLine: number, source: string[], spans: Record<string, [number, number][]>): boolean;
}
interface Sampler {
  NOT_DRAWN: string;
  DEFAULT_SEED: string;
  drawn(mutant: Mutant, fraction: number, seed?: string): boolean;
}
interface Progress {
  progressLine(result: Mutant): string;
}

const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(PACKAGE_ROOT, "scripts", "mutate", file)).href)) as T;
const results = await load<Results>("results.mjs");
const sampler = await load<Sampler>("sample-checker.mjs");
const progress = await load<Progress>("progress-file-reporter.mjs");
const AREAS = ["codemod", "aws", "smoke", "runtime"];

function mutant(i: number, fileName = "/work/x/src/aws/role.ts"): Mutant {
  return {
    id: String(i),
    fileName,
    mutatorName: i % 2 ? "ConditionalExpression" : "StringLiteral",
    replacement: i % 3 ? "true" : '""',
    location: { start: { line: 1 + (i % 97), column: i % 13 }, end: { line: 1 + (i % 97), column: 20 + (i % 7) } },
  };
}

test("a sample draws about its fraction, the same mutants every time, and another seed draws others", () => {
  // distinct identities only: the draw is a function of what a mutant is, not of its id
  const seen = new Set<string>();
  const all = Array.from({ length: 4000 }, (_, i) => mutant(i)).filter((m) => {
    const key = JSON.stringify({ ...m, id: "" });
    return !seen.has(key) && Boolean(seen.add(key));
  });
  const first = all.filter((m) => sampler.drawn(m, 0.1));
  const again = all.filter((m) => sampler.drawn(m, 0.1, sampler.DEFAULT_SEED));
  const other = all.filter((m) => sampler.drawn(m, 0.1, "another"));
  assert.deepEqual(again, first);
  const share = first.length / all.length;
  assert.ok(share > 0.06 && share < 0.14, `drew ${first.length} of ${all.length}`);
  const both = first.filter((m) => other.includes(m)).length;
  // independent draws of 10% share about 1% of the mutants, far fewer than the 10% two equal draws would
  assert.ok(both < first.length / 3, `${both} of ${first.length} drawn by both seeds`);
  assert.ok(other.length > 0);
  assert.equal(all.filter((m) => sampler.drawn(m, 1)).length, all.length);
});

test("a mutant's draw is the same in the project and in a StrykerJS sandbox, and depends on what it is", () => {
  const inProject = mutant(5, "/work/main/src/aws/role.ts");
  const inSandbox = mutant(5, "/work/main/.stryker-tmp/sandbox-AbC/src/aws/role.ts");
  const fractions = [0.05, 0.2, 0.5, 0.9];
  for (const f of fractions) assert.equal(sampler.drawn(inSandbox, f), sampler.drawn(inProject, f));
  // some other change of identity flips a 50% draw for some of these (a draw ignoring them would never)
  const variants = [
    (m: Mutant) => ({ ...m, fileName: m.fileName.replace("role.ts", "trust.ts") }),
    (m: Mutant) => ({ ...m, replacement: m.replacement + " " }),
    (m: Mutant) => ({ ...m, mutatorName: m.mutatorName + "X" }),
    (m: Mutant) => ({ ...m, location: { ...m.location, start: { ...m.location.start, column: m.location.start.column + 1 } } }),
  ];
  for (const change of variants) {
    const flips = Array.from({ length: 40 }, (_, i) => mutant(i)).filter((m) => sampler.drawn(m, 0.5) !== sampler.drawn(change(m), 0.5));
    assert.ok(flips.length > 0, `a draw that ignores ${change.toString()}`);
  }
});

test("the score counts caught over caught and undetected, leaving out the not drawn, compile errors and ignored", () => {
  const m = (status: string, statusReason?: string): Mutant => ({ ...mutant(0), status, statusReason });
  const all = [
    ...Array(6).fill(m("Killed")),
    m("Timeout"),
    m("Survived"),
    m("NoCoverage"),
    m("CompileError", "type error"),
    m("Ignored"),
    m("CompileError", sampler.NOT_DRAWN),
    m("CompileError", sampler.NOT_DRAWN),
  ] as Mutant[];
  const s = results.score(all);
  assert.equal(s.notDrawn, 2);
  assert.equal(s.total, 11);
  assert.equal(s.compileError, 1);
  assert.equal(s.score, (100 * 7) / 9);
  assert.ok(Number.isNaN(results.score([m("Ignored")]).score));
  // a sample's ignored mutants (StrykerJS reports all of them, drawn or not) count only when drawn
  const ignored = Array.from({ length: 10 }, (_, i) => ({ ...mutant(i), status: "Ignored" }));
  const sampled = results.score([...all, ...ignored], (r) => Number(r.id) < 3);
  assert.deepEqual([sampled.total, sampled.notDrawn, sampled.score], [11 + 3, 2 + 7, (100 * 7) / 9]);
});

test("a stopped run's progress file: each mutant once with its last verdict, its file from src/ on, a torn last line skipped", () => {
  const a = { ...mutant(1, "/work/main/.stryker-tmp/sandbox-1/src/aws/role.ts"), status: "Survived" };
  const b = { ...mutant(2), status: "Killed" };
  const text = progress.progressLine(a) + progress.progressLine(b) + progress.progressLine({ ...a, status: "Killed" }) + '{"id":"3","fileN';
  const read = results.parseProgress(text);
  assert.deepEqual(
    read.map((r) => [r.id, r.status, r.fileName]),
    [
      ["1", "Killed", "src/aws/role.ts"],
      ["2", "Killed", "src/aws/role.ts"],
    ],
  );
  assert.deepEqual(read[1]?.location, b.location);
  assert.equal(read[1]?.replacement, b.replacement);
});

test("report names keep a sample and its seed apart from the whole area's", () => {
  assert.equal(results.reportName("aws", { sampleFraction: 0 }), "aws");
  assert.equal(results.reportName("aws", { sampleFraction: 0.05, seed: "" }), "aws.sample-5");
  assert.equal(results.reportName("aws", { sampleFraction: 0.05, seed: sampler.DEFAULT_SEED }), "aws.sample-5");
  assert.equal(results.reportName("codemod", { sampleFraction: 0.125, seed: "b" }), "codemod.sample-12.5.seed-b");
});

test("a sample's seed: the one given, else the first samples' (the draw, the report name and the summary use the same)", () => {
  assert.equal(results.seedOf({ seed: "" }), sampler.DEFAULT_SEED);
  assert.equal(results.seedOf({}), sampler.DEFAULT_SEED);
  assert.equal(results.seedOf({ seed: "b" }), "b");
});

test("--report reads a stopped run's progress file only when it is newer than the last report", () => {
  const t = 1_800_000_000_000;
  assert.equal(results.resultsSource(undefined, undefined), undefined, "no run yet");
  assert.equal(results.resultsSource(t, undefined), "progress", "a first run stopped before its report");
  assert.equal(results.resultsSource(undefined, t), "report");
  // A finished run writes its last progress line a moment before its report, or in the same second.
  assert.equal(results.resultsSource(t, t + 5), "report");
  assert.equal(results.resultsSource(t + 900, t), "report", "within the second of slack: the same run");
  // A later run, stopped: its progress file was started afresh after the older report.
  assert.equal(results.resultsSource(t + 60_000, t), "progress");
});

test("the command line: samples, seeds, areas and their refusals", () => {
  const parse = (...argv: string[]) => results.parseArgs(argv, AREAS);
  assert.deepEqual(parse().areas, AREAS);
  const sampled = parse("codemod", "--sample", "12%", "--seed", "b", "--concurrency", "3");
  assert.deepEqual([sampled.areas, sampled.sampleFraction, sampled.seed, sampled.concurrency], [["codemod"], 0.12, "b", 3]);
  assert.equal(parse("runtime", "--sample", "150").sample, 150);
  assert.deepEqual(parse("aws", "--mutate", "src/aws/trust.ts").mutate, ["src/aws/trust.ts"]);
  const refused = [
    ["--seed", "b", "aws"], // a seed without a sample
    ["aws", "--sample", "5%", "--seed", "a b"],
    ["aws", "--sample", "0%"],
    ["aws", "--sample", "101%"],
    ["aws", "--sample", "150"], // a count is for the runtime
    ["runtime", "--sample", "5%"], // a percentage is for StrykerJS
    ["runtime", "--sample", "0"],
    ["aws", "smoke", "--mutate", "src/aws/trust.ts"],
    ["runtime", "--mutate", "x"],
    ["aws", "--mutate"],
    ["aws", "--concurrency", "0"],
    ["lambda"],
  ];
  for (const argv of refused) assert.throws(() => parse(...argv), results.UsageError, argv.join(" "));
  assert.equal(parse("aws").concurrency, 0, "not given: concurrencyFor decides");
});

test("concurrency: as asked, else two StrykerJS runners per core and one mutmut child per core", () => {
  assert.equal(results.concurrencyFor("stryker", 3, 2), 3);
  assert.equal(results.concurrencyFor("mutmut", 3, 2), 3);
  assert.equal(results.concurrencyFor("stryker", 0, 2), 4);
  assert.equal(results.concurrencyFor("mutmut", 0, 2), 2);
  assert.equal(results.concurrencyFor("stryker", 0, 0), 2, "a machine that reports no cores still runs");
  assert.equal(results.concurrencyFor("mutmut", 0, 0), 1);
});

test("the runtime's sample: repeatable, the count asked for, no mutant twice", () => {
  const names = Array.from({ length: 300 }, (_, i) => `m${i}`);
  const a = results.sample(names, 50);
  assert.deepEqual(results.sample(names, 50), a);
  assert.equal(new Set(a).size, 50);
  assert.notDeepEqual(results.sample(names, 50, 15), a);
  assert.notDeepEqual(a, names.slice(0, 50));
});

test("a runtime survivor that only rewords message text is told from one that changes a value", () => {
  const source = ['    raise XaError("role not found in " + account)', '    limit = "900"'];
  const spans = { "1": [[18, 38]] as [number, number][] };
  const diff = (was: string, now: string) => `@@ -1 +1 @@\n-${was}\n+${now}`;
  assert.equal(results.isMessageText(diff(source[0]!, '    raise XaError("XXrole not found in XX" + account)'), 1, source, spans), true);
  assert.equal(results.isMessageText(diff(source[0]!, '    raise XaError("ROLE NOT FOUND IN " + account)'), 1, source, spans), true);
  // the value shown in the message is not text
  assert.equal(results.isMessageText(diff(source[0]!, '    raise XaError("role not found in " + None)'), 1, source, spans), false);
  // a literal outside the message spans is a value
  assert.equal(results.isMessageText(diff(source[1]!, '    limit = "XX900XX"'), 2, source, spans), false);
});
