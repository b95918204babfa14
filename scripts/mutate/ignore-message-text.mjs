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
 */
import { PluginKind, declareValuePlugin } from "@stryker-mutator/api/plugin";

const MESSAGE_CALLS = new Set(["usageError", "failure", "XaError"]);
const MESSAGE_PROPERTIES = new Set(["detail", "fix", "hint", "message"]);

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

export const messageTextIgnorer = {
  shouldIgnore(path) {
    if (!path.isStringLiteral() && !path.isTemplateLiteral()) return undefined;
    const parent = path.parentPath;
    if (!parent) return undefined;
    if ((parent.isCallExpression() || parent.isNewExpression()) && MESSAGE_CALLS.has(calleeName(parent.node))) {
      if (parent.node.arguments.indexOf(path.node) >= 1) return "message text for people (see scripts/mutate/ignore-message-text.mjs)";
    }
    if (parent.isObjectProperty() && parent.node.value === path.node && MESSAGE_PROPERTIES.has(propertyName(parent.node))) {
      return "message text for people (see scripts/mutate/ignore-message-text.mjs)";
    }
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, "message-text", messageTextIgnorer)];
