/**
 * A Stryker ignorer: the text of messages for people is not mutated. Mutating "role not found" into ""
 * only asks whether a test compares the whole sentence, which tests should not do (they check the
 * error code, the exit code and the facts a message carries). Ignored, and so left out of the score:
 *   - the message and hint arguments of usageError(code, message, hint), failure(code, message, hint)
 *     and new XaError(code, message, ...) (the code, the first argument, is still mutated);
 *   - the value of a `detail`, `fix`, `hint` or `message` property (the smoke report's lines and the
 *     fixes it suggests).
 * Only string and template literals are ignored, with what is inside them (a `${...}` in a message is
 * formatting too). Everything else in the same statement is mutated as usual.
 *
 * Text that reaches a message through joins, and the other places whose only use is a message:
 *   - a piece of text joined into one of the messages above: an operand of `+`, a branch of `? :`, a
 *     `${...}` of a template, the fallback of `??` / `||` (e.g. `fix: "a" + (id ? " b" : "")`);
 *   - the text a fix builder returns: a function named `...Fix` (assumeRoleFix, permissionFix,
 *     runtimeFix, sourceCredentialsFix in src/smoke), whose result only ever becomes a check's `fix`;
 *   - the text the fix callback of `timed(name, body, fixFor)` returns (its third argument: the fix of
 *     a check that threw);
 *   - the `because` of `skipped(name, because)`, which only becomes the detail "not run: <because>".
 * Through these, only plain text is ignored: a string literal, or a template literal whose `${...}`
 * hold only names, property reads, literals and calls of them. A template that decides something
 * inside (a condition, a comparison, arithmetic, a regular expression, an optional chain, a callback,
 * or a method StrykerJS's MethodExpression mutator changes, such as slice or filter) is mutated as
 * usual, and so is the test of every `? :` and `??` above; the check's name, its ok/skip verdict and
 * every `--json` field other than detail and fix are never message text.
 */
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

const REASON = "message text for people (see scripts/mutate/ignore-message-text.mjs)";
const MESSAGE_CALLS = new Set(["usageError", "failure", "XaError"]);
const MESSAGE_PROPERTIES = new Set(["detail", "fix", "hint", "message"]);
/** Methods that select, reorder or reshape: the ones StrykerJS's MethodExpression mutator replaces. */
const DECIDING_METHODS = new Set([
  "charAt", "endsWith", "startsWith", "every", "some", "filter", "reverse", "slice", "sort", "substr", "substring",
  "toLocaleLowerCase", "toLocaleUpperCase", "toLowerCase", "toUpperCase", "trim", "trimEnd", "trimStart", "min", "max",
]);

function calleeName(node) {
  const callee = node.callee;
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && callee.property.type === "Identifier") return callee.property.name;
  return undefined;
}

function propertyName(node) {
  if (node.computed) return undefined;
  if (node.key.type === "Identifier") return node.key.name;
  if (node.key.type === "StringLiteral") return node.key.value;
  return undefined;
}

/** A message argument or property value (the first two rules). */
function isMessageSlot(path) {
  const parent = path.parentPath;
  if (!parent) return false;
  if ((parent.isCallExpression() || parent.isNewExpression()) && MESSAGE_CALLS.has(calleeName(parent.node))) {
    return parent.node.arguments.indexOf(path.node) >= 1;
  }
  return parent.isObjectProperty() && parent.node.value === path.node && MESSAGE_PROPERTIES.has(propertyName(parent.node));
}

/** The outermost expression `path` is joined into as text (itself when it is not joined). */
function joinedInto(path) {
  let node = path;
  for (;;) {
    const parent = node.parentPath;
    if (!parent) return node;
    const p = parent.node;
    const joined =
      (parent.isBinaryExpression() && p.operator === "+") ||
      (parent.isConditionalExpression() && p.test !== node.node) ||
      parent.isTemplateLiteral() ||
      parent.isParenthesizedExpression() ||
      (parent.isLogicalExpression() && (p.operator === "??" || p.operator === "||") && p.right === node.node);
    if (!joined) return node;
    node = parent;
  }
}

/** The function whose result `path` is (its return argument, or an arrow's expression body). */
function functionReturning(path) {
  const parent = path.parentPath;
  if (!parent) return undefined;
  if (parent.isReturnStatement()) return parent.getFunctionParent() ?? undefined;
  if (parent.isArrowFunctionExpression() && parent.node.body === path.node) return parent;
  return undefined;
}

function functionName(fn) {
  if (fn.node.id?.type === "Identifier") return fn.node.id.name;
  const holder = fn.parentPath;
  if (holder?.isVariableDeclarator() && holder.node.id.type === "Identifier") return holder.node.id.name;
  return undefined;
}

/** Where only people read the text: the other places of the header's second list. */
function isDisplayOnlySlot(path) {
  if (isMessageSlot(path)) return true;
  const parent = path.parentPath;
  if (parent?.isCallExpression() && calleeName(parent.node) === "skipped" && parent.node.arguments.indexOf(path.node) === 1) return true;
  const fn = functionReturning(path);
  if (!fn) return false;
  if (/Fix$/.test(functionName(fn) ?? "")) return true;
  const call = fn.parentPath;
  return Boolean(call?.isCallExpression() && calleeName(call.node) === "timed" && call.node.arguments.indexOf(fn.node) === 2);
}

/** A value a `${...}` may hold in plain text: names, property reads, literals and calls of them. */
function isPlainValue(node) {
  switch (node.type) {
    case "Identifier":
    case "ThisExpression":
    case "NumericLiteral":
    case "StringLiteral":
      return true;
    case "TemplateLiteral":
      return node.expressions.every(isPlainValue);
    case "MemberExpression":
      return isPlainValue(node.object) && (!node.computed || node.property.type === "NumericLiteral" || node.property.type === "StringLiteral");
    case "CallExpression": {
      const callee = node.callee;
      const plainCallee =
        callee.type === "Identifier" ||
        (callee.type === "MemberExpression" && !callee.computed && callee.property.type === "Identifier" && !DECIDING_METHODS.has(callee.property.name) && isPlainValue(callee.object));
      return plainCallee && node.arguments.every(isPlainValue);
    }
    default:
      return false;
  }
}

export const messageTextIgnorer = {
  shouldIgnore(path) {
    if (!path.isStringLiteral() && !path.isTemplateLiteral()) return undefined;
    if (isMessageSlot(path)) return REASON;
    const root = joinedInto(path);
    if (isDisplayOnlySlot(root) && isPlainValue(path.node)) return REASON;
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "message-text", messageTextIgnorer)];
