/**
 * StrykerJS's tap runner, with the test files of each mutant run in the order the area lists them.
 *
 * The tap runner reports coverage per test file ("perTest", a file being one test), so a mutant runs
 * only the files that reached it, but in the order its file search happened to return them, and it
 * stops at the first failing file (forceBail). The areas in run.mjs list their fast unit-level files
 * (`*-units.test.js`) first and the files that start the emulator or a real server after: a mutant
 * a unit test kills then costs a fraction of a second instead of an emulator start.
 */
import { PluginKind, commonTokens, declareFactoryPlugin, tokens } from "@stryker-mutator/api/plugin";
import { createTapTestRunnerFactory } from "@stryker-mutator/tap-runner";

const createTapTestRunner = createTapTestRunnerFactory();

/** A glob of run.mjs's area lists (only `*` is used there) as a regular expression. */
function globToRegExp(glob) {
  const escaped = glob
    .split("**")
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*"))
    .join(".*");
  return new RegExp(`(^|/)${escaped}$`);
}

export function orderFiles(files, patterns) {
  const regexps = patterns.map(globToRegExp);
  const rank = (file) => {
    const i = regexps.findIndex((re) => re.test(file.replace(/\\/g, "/")));
    return i < 0 ? regexps.length : i;
  };
  // Array.prototype.sort is stable: files of the same pattern keep their order.
  return [...files].sort((a, b) => rank(a) - rank(b));
}

function createOrderedTapRunner(injector, options) {
  const runner = createTapTestRunner(injector);
  const patterns = options.tap?.testFiles ?? [];
  const mutantRun = runner.mutantRun.bind(runner);
  runner.mutantRun = (runOptions) =>
    mutantRun(runOptions.testFilter ? { ...runOptions, testFilter: orderFiles(runOptions.testFilter, patterns) } : runOptions);
  return runner;
}
createOrderedTapRunner.inject = tokens(commonTokens.injector, commonTokens.options);

export const strykerPlugins = [declareFactoryPlugin(PluginKind.TestRunner, "tap-ordered", createOrderedTapRunner)];
