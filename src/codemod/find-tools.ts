/**
 * The rules: which functions of a module are MCP tools. Kept apart from the rewriting (plan.ts), the
 * way ast-grep separates rules from the engine. Tree-sitter nodes in, plain records out.
 */
import type { Node } from "./parse.js";

export interface ToolRules {
  /** `@x.<attr>`, `@x.<attr>(...)` and `x.<attr>(...)(fn)` register a tool. */
  decoratorAttributes: readonly string[];
  /** `x.<attr>(fn)` registers an existing function as a tool. */
  registerCalls: readonly string[];
  /** `x.<attr>(server, ...)` mounts another MCP server; a proxy to a remote one has no Python body here. */
  mountCalls: readonly string[];
}

export const DEFAULT_RULES: ToolRules = {
  decoratorAttributes: ["tool"],
  registerCalls: ["add_tool"],
  mountCalls: ["mount", "import_server"],
};

/** `.tool`, `.add_tool`, `.mount`...: where a module may register a tool; group 1 is the name. */
export function registrationPattern(rules: ToolRules, flags = ""): RegExp {
  const names = [...rules.decoratorAttributes, ...rules.registerCalls, ...rules.mountCalls];
  return new RegExp(`\\.[ \\t]*(${names.map(escapeRegExp).join("|")})\\b`, flags);
}

/** How a proxy to a remote MCP server shows in code: create_proxy, as_proxy, ProxyClient, *_proxied_*. */
const PROXY = /prox(y|ied)/i;

export interface ToolSite {
  /** The name the tool is registered under (name= argument, else the function name). */
  name: string;
  funcName: string;
  /** The function_definition node. */
  func: Node;
  registration: "decorator" | "call";
  /** 1-based line of the def. */
  line: number;
}

export interface SkippedSite {
  name: string;
  line: number;
  reason: string;
}

export interface FoundTools {
  tools: ToolSite[];
  skipped: SkippedSite[];
}

/**
 * Finds the tools of a module. Rather than walking every node (slow through the Node binding), it
 * looks for the rule's attribute names in the text (`.tool`, `.add_tool`, `.mount`) and asks the tree
 * what each hit is; hits inside comments or strings are not identifiers and fall away.
 */
export function findTools(root: Node, rules: ToolRules = DEFAULT_RULES): FoundTools {
  const tools = new Map<number, ToolSite>();
  const skipped: SkippedSite[] = [];
  const add = (site: ToolSite): void => {
    if (!tools.has(site.func.startIndex)) tools.set(site.func.startIndex, site);
  };
  const hits = registrationPattern(rules, "g");
  // root.text starts at root.startIndex, which is 1, not 0, after a byte order mark.
  const text = root.text;
  const seenCalls = new Set<number>();
  for (const m of text.matchAll(hits)) {
    const nameAt = root.startIndex + (m.index ?? 0) + m[0].length - (m[1] ?? "").length;
    const ident = root.descendantForIndex(nameAt, nameAt + (m[1] ?? "").length);
    const attr = ident.parent;
    if (ident.type !== "identifier" || attr?.type !== "attribute" || attr.childForFieldName("attribute")?.startIndex !== ident.startIndex) {
      continue;
    }
    const parent = attr.parent;
    if (parent?.type === "decorator") {
      // @x.tool
      const def = decoratedFunction(parent);
      if (def && toolRegistration(attr, rules)) add(site(def, undefined, "decorator"));
    } else if (parent?.type === "call" && parent.childForFieldName("function")?.startIndex === attr.startIndex) {
      const outer = parent.parent;
      if (outer?.type === "decorator") {
        // @x.tool(...)
        const def = decoratedFunction(outer);
        const reg = toolRegistration(parent, rules);
        if (def && reg) add(site(def, reg.name, "decorator"));
      } else if (outer?.type === "call" && outer.childForFieldName("function")?.startIndex === parent.startIndex) {
        // x.tool(...)(fn)
        if (!seenCalls.has(outer.startIndex)) visitCall(outer, rules, add, skipped);
        seenCalls.add(outer.startIndex);
      } else {
        if (!seenCalls.has(parent.startIndex)) visitCall(parent, rules, add, skipped);
        seenCalls.add(parent.startIndex);
      }
    }
  }
  return { tools: [...tools.values()].sort((a, b) => a.func.startIndex - b.func.startIndex), skipped };
}

function decoratedFunction(decorator: Node): Node | undefined {
  const dd = decorator.parent;
  const def = dd?.type === "decorated_definition" ? dd.childForFieldName("definition") : null;
  return def?.type === "function_definition" ? def : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function site(func: Node, registeredName: string | undefined, registration: ToolSite["registration"]): ToolSite {
  const funcName = func.childForFieldName("name")?.text ?? "<anonymous>";
  return { name: registeredName ?? funcName, funcName, func, registration, line: func.startPosition.row + 1 };
}

/** `x.tool` or `x.tool(...)`: a tool registration expression; returns the name= it gives, if any. */
function toolRegistration(expr: Node, rules: ToolRules): { name: string | undefined } | undefined {
  if (expr.type === "attribute" && isAttr(expr, rules.decoratorAttributes)) return { name: undefined };
  if (expr.type === "call") {
    const fn = expr.childForFieldName("function");
    if (fn?.type === "attribute" && isAttr(fn, rules.decoratorAttributes)) {
      return { name: registeredName(expr.childForFieldName("arguments")) };
    }
  }
  return undefined;
}

function visitCall(
  call: Node,
  rules: ToolRules,
  add: (site: ToolSite) => void,
  skipped: SkippedSite[],
): void {
  const fn = call.childForFieldName("function");
  const args = call.childForFieldName("arguments");
  if (!fn || !args) return;
  const first = positionalArgs(args)[0];
  // x.tool(...)(fn)
  if (fn.type === "call" && toolRegistration(fn, rules)) {
    if (first) registerValue(call, first, registeredName(fn.childForFieldName("arguments")), add, skipped);
    return;
  }
  if (fn.type !== "attribute") return;
  // x.add_tool(fn) / x.add_tool(Tool.from_function(fn, name=...)) / x.tool(fn)
  if (isAttr(fn, rules.registerCalls) || (isAttr(fn, rules.decoratorAttributes) && first?.type === "identifier")) {
    if (!first) return;
    let value = first;
    let name = registeredName(args);
    if (value.type === "call" && /from_function$/.test(value.childForFieldName("function")?.text ?? "")) {
      const inner = value.childForFieldName("arguments");
      name = registeredName(inner, false) ?? name;
      value = (inner && positionalArgs(inner)[0]) ?? value;
    }
    registerValue(call, value, name, add, skipped);
    return;
  }
  // x.mount(create_proxy(...), namespace=...)
  if (isAttr(fn, rules.mountCalls) && first && looksLikeRemoteProxy(call, first)) {
    const ns = keywordString(args, ["namespace", "prefix"]);
    skipped.push({
      name: ns ? `${ns}_*` : first.text,
      line: call.startPosition.row + 1,
      reason: `tools of a remote MCP server mounted here (${oneLine(first.text)}): they have no Python body in this package`,
    });
  }
}

function registerValue(
  call: Node,
  value: Node,
  name: string | undefined,
  add: (site: ToolSite) => void,
  skipped: SkippedSite[],
): void {
  const line = call.startPosition.row + 1;
  if (value.type === "identifier") {
    const def = resolveFunction(call, value.text);
    if (def) {
      add(site(def, name, "call"));
      return;
    }
    const origin = resolveOrigin(call, value.text);
    skipped.push({ name: name ?? origin.name ?? value.text, line, reason: origin.reason });
    return;
  }
  skipped.push({
    name: name ?? oneLine(value.text),
    line,
    reason: PROXY.test(value.text)
      ? "proxied from a remote MCP server: no Python body to patch"
      : `registered from an expression (${oneLine(value.text)}), not a function defined here`,
  });
}

/** The function `name` as seen from `from`: a def in an enclosing block or the module. */
function resolveFunction(from: Node, name: string): Node | undefined {
  for (let scope: Node | null = from.parent; scope; scope = scope.parent) {
    if (scope.type !== "block" && scope.type !== "module") continue;
    for (const stmt of scope.namedChildren) {
      const def = stmt.type === "decorated_definition" ? stmt.childForFieldName("definition") : stmt;
      if (def?.type === "function_definition" && def.childForFieldName("name")?.text === name) return def;
    }
  }
  return undefined;
}

/** Why a registered name has no def here: where its value comes from, said for a person. */
function resolveOrigin(from: Node, name: string): { reason: string; name?: string } {
  for (let scope: Node | null = from.parent; scope; scope = scope.parent) {
    if (scope.type !== "block" && scope.type !== "module") continue;
    for (const stmt of scope.namedChildren) {
      const text = stmt.text;
      if (stmt.type === "expression_statement" && new RegExp(`^${name}\\s*(:[^=]*)?=`).test(text)) {
        const call = findCall(stmt);
        const args = call?.childForFieldName("arguments");
        const registered = args ? keywordString(args, ["name", "local_tool_name", "tool_name"]) : undefined;
        const reason = PROXY.test(text)
          ? "proxied from a remote MCP server: no Python body to patch"
          : `registered from a value (${oneLine(text)}), not a function defined here`;
        return registered ? { reason, name: registered } : { reason };
      }
      if ((stmt.type === "import_from_statement" || stmt.type === "import_statement") && new RegExp(`\\b${name}\\b`).test(text)) {
        return { reason: `defined in another module (${oneLine(text)}); only functions defined where they are registered are patched` };
      }
    }
  }
  return { reason: `registered from ${name}, which is not a function defined here` };
}

/** The first call in a statement (through `await`), e.g. the right side of `x = await make(...)`. */
function findCall(node: Node): Node | undefined {
  if (node.type === "call") return node;
  for (const c of node.namedChildren) {
    const hit = findCall(c);
    if (hit) return hit;
  }
  return undefined;
}

function looksLikeRemoteProxy(call: Node, arg: Node): boolean {
  if (PROXY.test(arg.text)) return true;
  return arg.type === "identifier" && PROXY.test(resolveOrigin(call, arg.text).reason);
}

function isAttr(node: Node, names: readonly string[]): boolean {
  const attr = node.childForFieldName("attribute");
  return attr !== null && names.includes(attr.text);
}

function positionalArgs(args: Node): Node[] {
  return args.namedChildren.filter((a) => a.type !== "keyword_argument" && a.type !== "comment");
}

/** name="x" keyword, else (optionally) a first positional string literal. */
function registeredName(args: Node | null, positional = true): string | undefined {
  if (!args) return undefined;
  const kw = keywordString(args, ["name"]);
  if (kw !== undefined) return kw;
  const first = positional ? positionalArgs(args)[0] : undefined;
  return first?.type === "string" ? stringValue(first) : undefined;
}

function keywordString(args: Node, names: string[]): string | undefined {
  for (const a of args.namedChildren) {
    if (a.type !== "keyword_argument") continue;
    const key = a.childForFieldName("name")?.text;
    const value = a.childForFieldName("value");
    if (key && names.includes(key) && value?.type === "string") return stringValue(value);
  }
  return undefined;
}

function stringValue(str: Node): string {
  return str.namedChildren
    .filter((c) => c.type === "string_content")
    .map((c) => c.text)
    .join("");
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
