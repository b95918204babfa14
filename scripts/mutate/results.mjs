/**
 * The pure parts of `npm run mutate` (run.mjs): its command line, report names, scores, samples, and
 * the reading of mutmut's and StrykerJS's results. Kept apart so test/mutate-results.test.ts can try
 * them without starting a mutation run.
 */
import { DEFAULT_SEED, NOT_DRAWN } from "./sample-checker.mjs";

/** A command line run.mjs cannot act on; `message` is for the person who typed it (none for --help). */
export class UsageError extends Error {}

/** The command line of run.mjs; throws UsageError for one it cannot act on. */
export function parseArgs(argv, areas) {
  const usage = (message) => {
    throw new UsageError(message);
  };
  const options = { areas: [], full: false, report: false, survivors: false, sample: 0, sampleFraction: 0, seed: "", concurrency: 0, mutate: [] }; // concurrency 0: concurrencyFor decides
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--full") options.full = true;
    else if (arg === "--survivors") options.survivors = true;
    else if (arg === "--sample") {
      // To estimate a score when a whole run does not fit in the time at hand. The runtime: --sample N
      // checks N of the mutants not checked yet, drawn at random (the same N draws the same ones).
      // A StrykerJS area: --sample P% runs a fixed random P% of its mutants (sample-checker.mjs).
      const value = argv[++i] ?? "";
      if (value.endsWith("%")) {
        options.sampleFraction = Number(value.slice(0, -1)) / 100;
        if (!(options.sampleFraction > 0 && options.sampleFraction <= 1)) usage("--sample P% takes a percentage above 0 and at most 100");
      } else {
        options.sample = Number(value);
        if (!Number.isInteger(options.sample) || options.sample < 1) usage("--sample takes a whole number >= 1 (the runtime) or a percentage such as 20% (a StrykerJS area)");
      }
    }
    else if (arg === "--seed") {
      // Another random sample of a StrykerJS area, independent of the default one: the way to
      // re-measure after writing tests for one sample's survivors (the same sample would flatter them).
      options.seed = argv[++i] ?? "";
      if (!/^[\w.-]+$/.test(options.seed)) usage("--seed takes a word of letters, digits, '.', '_' or '-'");
    }
    else if (arg === "--report") options.report = true;
    else if (arg === "--concurrency") {
      options.concurrency = Number(argv[++i]);
      if (!Number.isInteger(options.concurrency) || options.concurrency < 1) usage("--concurrency takes a whole number >= 1");
    } else if (arg === "--mutate") {
      // A part of one StrykerJS area, e.g. --mutate src/aws/trust.ts or src/aws/role.ts:40-90
      if (!argv[i + 1]) usage("--mutate takes a file or glob, optionally with :line-line");
      options.mutate.push(argv[++i]);
    } else if (arg === "-h" || arg === "--help") usage();
    else if (areas.includes(arg)) options.areas.push(arg);
    else usage(`unknown area or option: ${arg}`);
  }
  if (options.areas.length === 0) options.areas = [...areas];
  if (options.mutate.length && (options.areas.length !== 1 || options.areas[0] === "runtime")) {
    usage("--mutate narrows one StrykerJS area: name that area (codemod, aws or smoke)");
  }
  if (options.sample && options.areas.some((a) => a !== "runtime")) usage("--sample N (a count) is for the runtime; a StrykerJS area takes a percentage, e.g. --sample 20%");
  if (options.seed && !options.sampleFraction) usage("--seed chooses the draw of a --sample P%: give both");
  if (options.sampleFraction && options.areas.includes("runtime")) usage("--sample P% is for the StrykerJS areas; the runtime takes a count, e.g. --sample 150");
  return options;
}

/**
 * How many mutants run at once when --concurrency is not given. StrykerJS's tests spend much of their
 * time waiting for the CLI and Python processes they start (at one per core, half the CPU sat idle):
 * two per core. mutmut's mutants are CPU-bound (each loads the 5 MB mutated runtime): one per core.
 * Measured on 2 cores: whole codemod 56.7 min at 4, runtime 33.3 min at 2 (docs/mutation.md).
 */
export function concurrencyFor(tool, requested, cores) {
  if (requested > 0) return requested;
  const n = Math.max(1, cores);
  return tool === "mutmut" ? n : 2 * n;
}

/** A sample's results are kept apart from the whole area's: its not-drawn mutants are not verdicts. */
export function reportName(area, options) {
  if (!options.sampleFraction) return area;
  const seed = seedOf(options);
  const suffix = seed !== DEFAULT_SEED ? `.seed-${seed}` : "";
  return `${area}.sample-${samplePercent(options)}${suffix}`;
}

/** The seed of a sample's draw: `--seed`, or the one of the first samples. */
export function seedOf(options) {
  return options.seed || DEFAULT_SEED;
}

/**
 * Where the last run's results are: "report" (StrykerJS's JSON report, written when a run ends),
 * "progress" (the verdicts a run stopped before its end had reached: its progress file, rewritten from
 * the start by each run, is newer than the report of an earlier run) or undefined (no run yet). Times
 * are mtimes in ms, undefined for a missing file; the report of a finished run is written a moment
 * after its last progress line, so a second of slack.
 */
export function resultsSource(progressMtime, reportMtime) {
  if (progressMtime !== undefined && (reportMtime === undefined || progressMtime > reportMtime + 1000)) return "progress";
  return reportMtime === undefined ? undefined : "report";
}

export function samplePercent(options) {
  return Math.round(options.sampleFraction * 1000) / 10;
}

/**
 * Counted as detected: killed or timed out. Left out of the score: ignored, compile and runtime errors,
 * and in a sample the mutants not drawn (not counted at all). `inSample` tells a sample's ignored
 * mutants apart: StrykerJS reports them before any checker runs, so they carry no draw of their own.
 */
export function score(all, inSample = () => true) {
  const results = all.filter((r) =>
    r.status === "CompileError" ? r.statusReason !== NOT_DRAWN : r.status !== "Ignored" || inSample(r),
  );
  const count = (s) => results.filter((r) => r.status === s).length;
  const detected = count("Killed") + count("Timeout");
  const undetected = count("Survived") + count("NoCoverage");
  return {
    total: results.length,
    notDrawn: all.length - results.length,
    killed: count("Killed"),
    timeout: count("Timeout"),
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
    compileError: count("CompileError"),
    runtimeError: count("RuntimeError"),
    ignored: count("Ignored"),
    score: detected + undetected ? (100 * detected) / (detected + undetected) : NaN,
  };
}

/** The lines of progress-file-reporter.mjs's file; a mutant reported twice (not expected) counts once, last verdict. */
export function parseProgress(text) {
  const byId = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let result;
    try {
      result = JSON.parse(line);
    } catch {
      continue; // the last line of a run killed while writing it
    }
    const name = result.fileName.replace(/\\/g, "/");
    const at = name.lastIndexOf("/src/");
    byId.set(result.id, { ...result, fileName: at >= 0 ? name.slice(at + 1) : name });
  }
  return [...byId.values()];
}

/** `count` of `items`, drawn with a fixed-seed generator (mulberry32) so a sample can be repeated. */
export function sample(items, count, seed = 14) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pool = [...items];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

/**
 * A surviving mutant that only rewrites the text of a message for people (mutmut's string mutations:
 * "XX" around it, lower or upper case) inside the literals scripts/mutate/message_lines.py finds: left
 * out of the score like StrykerJS's ignored message text. Lines of message text only are not mutated at
 * all (do_not_mutate_patterns above); this is for the rest, e.g. a line of an f-string with a placeholder,
 * whose other mutants (the value shown) stay in the score.
 */
export function isMessageText(diff, firstLine, source, spans) {
  const removed = diff.split("\n").filter((l) => /^-(?!--)/.test(l)).map((l) => l.slice(1));
  const added = diff.split("\n").filter((l) => /^\+(?!\+\+)/.test(l)).map((l) => l.slice(1));
  if (removed.length === 0 || removed.length !== added.length) return false;
  return removed.every((a, i) => {
    const b = added[i];
    const line = firstLine + i;
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    let q = 0;
    while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
    const was = a.slice(p, a.length - q);
    const now = b.slice(p, b.length - q);
    if (now !== `XX${was}XX` && !(was !== now && (now === was.toLowerCase() || now === was.toUpperCase()))) {
      // A case change can leave "XX" at the edges of the common part: widen once and try again.
      const wide = a.slice(Math.max(0, p - 2), a.length - Math.max(0, q - 2));
      const wideNow = b.slice(Math.max(0, p - 2), b.length - Math.max(0, q - 2));
      if (wideNow !== `XX${wide}XX`) return false;
    }
    const text = source[line - 1] ?? "";
    if (text.trimStart() !== a.trimStart()) return false;
    const column = p - (a.length - a.trimStart().length) + (text.length - text.trimStart().length);
    const end = column + was.length;
    return (spans[String(line)] ?? []).some(([from, to]) => from <= column && end <= to);
  });
}

/** The source line a mutmut mutant changes: its function's `def` line plus the offset in its diff. */
export function mutmutLine(source, name, diff) {
  const m = /^_xaccount\.(?:xǁ([^ǁ]+)ǁ|x_)(.+)__mutmut_\d+$/.exec(name);
  if (!m) return undefined;
  const [, cls, fn] = m;
  let from = 0;
  if (cls) from = source.findIndex((l) => new RegExp(`^class ${cls}\\b`).test(l));
  const def = source.findIndex((l, i) => i >= from && new RegExp(`^\\s*(async\\s+)?def ${fn}\\(`).test(l));
  if (def < 0) return undefined;
  let offset = 0;
  let started = false;
  for (const line of diff.split("\n")) {
    const hunk = /^@@ -(\d+)/.exec(line);
    if (hunk) { offset = Number(hunk[1]) - 1; started = true; continue; }
    if (!started || line.startsWith("+")) continue;
    if (line.startsWith("-")) return def + 1 + offset;
    offset++;
  }
  return undefined;
}

/** mutmut shows a unified diff of the function: keep the changed lines. */
export function summarizeDiff(diff) {
  const changed = diff.split("\n").filter((l) => /^[-+][^-+]/.test(l)).map((l) => l.trim());
  return changed.join("  ").replace(/\s+/g, " ").slice(0, 160);
}
