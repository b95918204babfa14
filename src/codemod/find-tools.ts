/**
 * The rules: which functions of a module are MCP tools. Kept apart from the rewriting (plan.ts), the
 * way ast-grep separates rules from the engine. Tree-sitter nodes in, plain records out.
 */
import type { Node } from "./parse.js";
import { oneLine, PackageIndex } from "./package-index.js";
import { keywordString, keywordValue, positionalArgs, Resolver, stringValue, TOOL_FACTORY, type Resolution } from "./resolve.js";

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

/** `Tool.from_function(...)`: a tool object made from a function, registered later (often in a loop). */
const FACTORY = /\.[ \t]*(from_function)\b/g;

export interface ToolSite {
  /** The name the tool is registered under (name= argument, else the function name). */
  name: string;
  funcName: string;
  /** The function_definition node. */
  func: Node;
  registration: "decorator" | "call";
  /** 1-based line of the def. */
  line: number;
  /** Package-relative file holding the def (it may be registered from another module). */
  file: string;
}

/**
 * Why a registration is not patched: `remote` (a proxy to a remote MCP server: nothing here to
 * patch, by design), `unresolved` (the engine cannot tell which function it is: --check fails on it
 * unless the profile says why it is fine), `wrapper` (a pass-through wrapper whose wrapped functions
 * cannot be found: the patch refuses).
 */
export type SkipKind = "remote" | "unresolved" | "wrapper";

export interface SkippedSite {
  name: string;
  line: number;
  reason: string;
  kind: SkipKind;
}

export interface FoundTools {
  tools: ToolSite[];
  skipped: SkippedSite[];
  /** Lines registering `<tool>.fn`: covered when the package's Tool.from_function sites all resolve. */
  toolObjectFns: number[];
  /** Functions found through Tool.from_function here, and from_function calls that did not resolve. */
  factoryTools: number;
  factoryProblems: number;
}

export interface FindContext {
  resolver: Resolver;
  /** This module's package-relative path. */
  file: string;
}

/**
 * Finds the tools a module registers, wherever their defs are. Rather than walking every node (slow
 * through the Node binding), it looks for the rule's attribute names in the text (`.tool`,
 * `.add_tool`, `.mount`, `.from_function`) and asks the tree what each hit is; hits inside comments
 * or strings are not identifiers and fall away.
 */
export function findTools(root: Node, rules: ToolRules = DEFAULT_RULES, ctx?: FindContext): FoundTools {
  const file = ctx?.file ?? "module.py";
  const resolver = ctx?.resolver ?? new Resolver(PackageIndex.single(root, file));
  const tools = new Map<string, ToolSite>();
  const skipped: SkippedSite[] = [];
  const toolObjectFns: number[] = [];
  let factoryTools = 0;
  let factoryProblems = 0;
  const found: Found = {
    file,
    resolver,
    add: (site) => {
      const key = `${site.file}:${site.func.startIndex}`;
      const had = tools.get(key);
      // A name given where it is registered beats the def's own name.
      if (!had || (had.name === had.funcName && site.name !== site.funcName)) tools.set(key, site);
    },
    skip: (s) => {
      if (!skipped.some((k) => k.line === s.line && k.reason === s.reason)) skipped.push(s);
    },
    toolObjectFn: (line) => toolObjectFns.push(line),
  };
  const hits = registrationPattern(rules, "g");
  // root.text starts at root.startIndex, which is 1, not 0, after a byte order mark.
  const text = root.text;
  const seenCalls = new Set<number>();
  const attributeAt = (m: RegExpMatchArray): Node | undefined => {
    const nameAt = root.startIndex + (m.index ?? 0) + m[0].length - (m[1] ?? "").length;
    const ident = root.descendantForIndex(nameAt, nameAt + (m[1] ?? "").length);
    const attr = ident.parent;
    if (ident.type !== "identifier" || attr?.type !== "attribute" || attr.childForFieldName("attribute")?.startIndex !== ident.startIndex) {
      return undefined;
    }
    return attr;
  };
  for (const m of text.matchAll(hits)) {
    const attr = attributeAt(m);
    if (!attr) continue;
    const parent = attr.parent;
    if (parent?.type === "decorator") {
      // @x.tool
      const def = decoratedFunction(parent);
      if (def && toolRegistration(attr, rules)) registerDef(found, def, undefined, "decorator");
    } else if (parent?.type === "call" && parent.childForFieldName("function")?.startIndex === attr.startIndex) {
      const outer = parent.parent;
      if (outer?.type === "decorator") {
        // @x.tool(...)
        const def = decoratedFunction(outer);
        const reg = toolRegistration(parent, rules);
        if (def && reg) registerDef(found, def, reg.name, "decorator");
      } else if (outer?.type === "call" && outer.childForFieldName("function")?.startIndex === parent.startIndex) {
        // x.tool(...)(fn)
        if (!seenCalls.has(outer.startIndex)) visitCall(outer, rules, found);
        seenCalls.add(outer.startIndex);
      } else {
        if (!seenCalls.has(parent.startIndex)) visitCall(parent, rules, found);
        seenCalls.add(parent.startIndex);
      }
    }
  }
  // Tool.from_function(fn=f, name=...): the tool object is registered elsewhere, often in a loop
  // over a list of them; the function is the tool wherever that happens.
  for (const m of text.matchAll(FACTORY)) {
    const attr = attributeAt(m);
    const call = attr?.parent;
    if (!attr || call?.type !== "call" || call.childForFieldName("function")?.startIndex !== attr.startIndex) continue;
    if (!TOOL_FACTORY.test(attr.text)) continue;
    const r = resolver.functions(call, file);
    factoryTools += r.values.filter((v) => v.kind === "def").length;
    factoryProblems += r.problems.length + r.values.filter((v) => v.kind !== "def").length;
    report(found, call, r, undefined, "call");
  }
  return { tools: [...tools.values()].sort((a, b) => a.func.startIndex - b.func.startIndex), skipped, toolObjectFns, factoryTools, factoryProblems };
}

interface Found {
  file: string;
  resolver: Resolver;
  add: (site: ToolSite) => void;
  skip: (s: SkippedSite) => void;
  toolObjectFn: (line: number) => void;
}

function decoratedFunction(decorator: Node): Node | undefined {
  const dd = decorator.parent;
  const def = dd?.type === "decorated_definition" ? dd.childForFieldName("definition") : null;
  return def?.type === "function_definition" ? def : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function site(func: Node, registeredName: string | undefined, registration: ToolSite["registration"], file: string): ToolSite {
  const funcName = func.childForFieldName("name")?.text ?? "<anonymous>";
  return { name: registeredName ?? funcName, funcName, func, registration, line: func.startPosition.row + 1, file };
}

/** A def registered by a decorator: the tool itself, unless it is a pass-through wrapper. */
function registerDef(found: Found, def: Node, name: string | undefined, registration: ToolSite["registration"]): void {
  const r = found.resolver.throughWrappers({ kind: "def", file: found.file, func: def, ...(name ? { name } : {}) }, 0);
  report(found, def, r, name, registration);
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

function visitCall(call: Node, rules: ToolRules, found: Found): void {
  const fn = call.childForFieldName("function");
  const args = call.childForFieldName("arguments");
  if (!fn || !args) return;
  const first = positionalArgs(args)[0];
  // x.tool(...)(fn)
  if (fn.type === "call" && toolRegistration(fn, rules)) {
    if (first) registerValue(found, call, first, registeredName(fn.childForFieldName("arguments")));
    else found.skip({ name: oneLine(call.text), line: line(call), reason: "a tool registration that passes no function", kind: "unresolved" });
    return;
  }
  if (fn.type !== "attribute") return;
  // x.add_tool(fn) / x.add_tool(Tool.from_function(fn, name=...)) / x.tool(fn) / x.tool(self.method)
  const isRegister = isAttr(fn, rules.registerCalls);
  if (isRegister || (isAttr(fn, rules.decoratorAttributes) && first && first.type !== "string")) {
    if (!first) {
      const value = keywordValue(args, "tool") ?? keywordValue(args, "fn");
      if (value) registerValue(found, call, value, registeredName(args));
      else found.skip({ name: oneLine(call.text), line: line(call), reason: "a tool registration that passes no function", kind: "unresolved" });
      return;
    }
    registerValue(found, call, first, registeredName(args));
    return;
  }
  // x.tool(name=...) neither applied nor used as a decorator: the decorator is kept for later.
  if (isAttr(fn, rules.decoratorAttributes)) {
    found.skip({
      name: registeredName(args) ?? oneLine(call.text),
      line: line(call),
      reason: `${oneLine(call.text)} is kept in a value and applied elsewhere: xaccount cannot tell to which function`,
      kind: "unresolved",
    });
    return;
  }
  // x.mount(create_proxy(...), namespace=...)
  if (isAttr(fn, rules.mountCalls) && first && looksLikeRemoteProxy(found, first)) {
    const ns = keywordString(args, ["namespace", "prefix"]);
    found.skip({
      name: ns ? `${ns}_*` : first.text,
      line: line(call),
      reason: `tools of a remote MCP server mounted here (${oneLine(first.text)}): they have no Python body in this package`,
      kind: "remote",
    });
  }
}

const line = (n: Node): number => n.startPosition.row + 1;

function registerValue(found: Found, call: Node, value: Node, name: string | undefined): void {
  const r = found.resolver.functions(value, found.file);
  report(found, call, r, name, "call", value);
}

function report(found: Found, at: Node, r: Resolution, name: string | undefined, registration: ToolSite["registration"], value: Node = at): void {
  for (const v of r.values) {
    if (v.kind === "def") found.add(site(v.func, name ?? v.name, registration, v.file));
    else if (v.kind === "tool-fn") found.toolObjectFn(line(at));
    else {
      found.skip({
        name: name ?? oneLine(value.text),
        line: line(at),
        reason: `registers ${v.kind === "module" ? `the module ${v.module}` : `the string ${JSON.stringify(v.value)}`}, not a function`,
        kind: "unresolved",
      });
    }
  }
  for (const p of r.problems) {
    found.skip({
      name: name ?? p.name ?? oneLine(value.text),
      line: line(at),
      reason: p.remote ? `proxied from a remote MCP server: no Python body to patch (${p.reason})` : p.reason,
      kind: p.wrapper ? "wrapper" : p.remote ? "remote" : "unresolved",
    });
  }
}

function looksLikeRemoteProxy(found: Found, arg: Node): boolean {
  if (PROXY.test(arg.text)) return true;
  // A name, or a module's name (`remotes.srv`): what it is bound to may be a proxy.
  if (arg.type !== "identifier" && arg.type !== "attribute") return false;
  const r = found.resolver.value(arg, found.file, 0);
  return r.problems.some((p) => p.remote === true);
}

function isAttr(node: Node, names: readonly string[]): boolean {
  const attr = node.childForFieldName("attribute");
  return attr !== null && names.includes(attr.text);
}

/** name="x" keyword, else (optionally) a first positional string literal. */
function registeredName(args: Node | null, positional = true): string | undefined {
  if (!args) return undefined;
  const kw = keywordString(args, ["name"]);
  if (kw !== undefined) return kw;
  const first = positional ? positionalArgs(args)[0] : undefined;
  return first?.type === "string" ? stringValue(first) : undefined;
}
