/**
 * The StrykerJS ignorer of message text (scripts/mutate/ignore-message-text.mjs): which literals it
 * leaves out of the mutation score. It must see text for people wherever it only goes to a message,
 * and never a literal a program reads (a status compared, a check's name, a progress line's phase).
 * Walked the way StrykerJS walks a file: an ignored node is ignored with everything inside it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { PACKAGE_ROOT } from "../src/version.js";

interface NodePath {
  node: { start: number; end: number };
  isStringLiteral(): boolean;
  isTemplateLiteral(): boolean;
}
interface Babel {
  traverse: (ast: unknown, visitor: { enter(p: NodePath): void; exit(p: NodePath): void }) => void;
}
const require = createRequire(path.join(PACKAGE_ROOT, "package.json"));
// StrykerJS's own Babel (a dependency of its instrumenter), the one that walks the files in a run.
const babel = require("@babel/core") as Babel;
const parser = require("@babel/parser") as { parse: (code: string, options: object) => unknown };

async function ignoredLiterals(code: string): Promise<string[]> {
  const { messageTextIgnorer } = (await import(path.join(PACKAGE_ROOT, "scripts", "mutate", "ignore-message-text.mjs"))) as {
    messageTextIgnorer: { shouldIgnore: (p: NodePath) => string | undefined };
  };
  const ast = parser.parse(code, { sourceType: "module", plugins: ["typescript"] });
  const ignored: string[] = [];
  let active: unknown;
  babel.traverse(ast, {
    enter(p) {
      if (active === undefined && messageTextIgnorer.shouldIgnore(p)) active = p.node;
      if (active !== undefined && (p.isStringLiteral() || p.isTemplateLiteral())) ignored.push(code.slice(p.node.start, p.node.end));
    },
    exit(p) {
      if (active === p.node) active = undefined;
    },
  });
  return ignored;
}

test("messages: the message and hint of failure(), detail/fix values, and text joined into them by +, ? : and ??", async () => {
  const code = `
    throw failure("code-a", "bad " + name + (x ? " here" : ""), hint ?? "the hint");
    const r = { ok: status === "ok", name: "check name", detail: \`got \${n}\`, fix: x ? "do a" : "do b" };`;
  assert.deepEqual(await ignoredLiterals(code), ['"bad "', '" here"', '""', '"the hint"', "`got ${n}`", '"do a"', '"do b"']);
});

test("fix builders (...Fix), timed's fix callback and skipped's reason; a template that decides is still mutated", async () => {
  const code = `
    function runtimeFix(error) {
      if (/AccessDenied/.test(error)) return "the role was refused";
      if (error.startsWith("x")) return \`section \${/code\\[(\\w+)\\]/.exec(error)?.[1]}\`;
      return \`first: \${problems.slice(0, 5).join("; ")}\`;
    }
    const r = await timed(name, body, (err) => \`failed: \${describeError(err)}\`);
    const s = skipped("a check's name", \`the role in \${id} could not be assumed\`);
    const t = timed("a check's name", body, () => fixPatch);`;
  assert.deepEqual(await ignoredLiterals(code), ['"the role was refused"', "`failed: ${describeError(err)}`", "`the role in ${id} could not be assumed`"]);
});

test("never a literal a program reads: compared statuses, names, progress lines, return values of other functions", async () => {
  const code = `
    if (body?.status === "success") hooks.start("assume role: 0/2 accounts");
    const regionSource = configured ? "the configured region" : "--regions";
    function describe(x) { return "plain " + x; }
    const e = new Error(\`\${message}\${stderr ? "\\nserver stderr" : ""}\`);`;
  assert.deepEqual(await ignoredLiterals(code), []);
});
