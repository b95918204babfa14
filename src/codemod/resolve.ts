/**
 * What a registered value is, statically: `f`, `self.f`, `module.f`, `Tool.from_function(fn=f)`,
 * `getattr(module, name)` over `module.__all__`, a loop variable over a literal list, the result of a
 * pass-through wrapper. Each answer is either functions (with the file that defines them) or a
 * reason it cannot be known, said for a person. Nothing here guesses: what is not certain is a
 * problem, reported, never silently dropped.
 */
import type { Node } from "./parse.js";
import { oneLine, type Binding, type PackageIndex } from "./package-index.js";
import { callersOf, wrappedCallers, passThroughTarget } from "./passthrough.js";

export type Value =
  | { kind: "def"; file: string; func: Node; name?: string }
  | { kind: "module"; module: string }
  | { kind: "string"; value: string; module?: string }
  /** `<tool>.fn`: the function of a Tool object (made by Tool.from_function, found on its own). */
  | { kind: "tool-fn"; text: string };

export interface Problem {
  reason: string;
  /** A pass-through wrapper whose wrapped functions are unknown: the patch refuses. */
  wrapper?: boolean;
  /** A tool proxied from a remote MCP server: nothing to patch, by design. */
  remote?: boolean;
  /** Name to report it under, when known. */
  name?: string;
}

export interface Resolution {
  values: Value[];
  problems: Problem[];
}

const PROXY = /prox(y|ied)/i;
const MAX_DEPTH = 12;
/** `Tool.from_function` / `FunctionTool.from_function`, not Prompt/Resource factories. */
export const TOOL_FACTORY = /(^|\.)\w*Tool\s*\.\s*from_function$/;

const none = (reason: string, extra: Partial<Problem> = {}): Resolution => ({ values: [], problems: [{ reason, ...extra }] });
const merge = (rs: Resolution[]): Resolution => ({ values: rs.flatMap((r) => r.values), problems: rs.flatMap((r) => r.problems) });

export class Resolver {
  constructor(readonly index: PackageIndex) {}

  /** The functions `node` (in package file `file`) stands for, pass-through wrappers seen through. */
  functions(node: Node, file: string): Resolution {
    const r = this.value(node, file, 0);
    return merge([{ values: [], problems: r.problems }, ...r.values.map((v) => this.throughWrappers(v, 0))]);
  }

  /** A def that only passes its arguments to the function it wraps is not the tool: what it wraps is. */
  throughWrappers(v: Value, depth: number): Resolution {
    if (v.kind !== "def") return { values: [v], problems: [] };
    const target = passThroughTarget(v.func);
    if (!target) return { values: [v], problems: [] };
    const fnName = v.func.childForFieldName("name")?.text ?? "<wrapper>";
    if (depth > 3) return none(`pass-through wrapper ${fnName} wraps another wrapper too deeply to follow`, { wrapper: true });
    // @functools.wraps(f) where f is a def reachable from here: that def is the tool.
    const direct = this.value(target.wrapped, v.file, depth + 1);
    if (direct.values.length > 0 && direct.values.every((x) => x.kind === "def")) {
      // A caller whose function cannot be found is still reported, next to those that can.
      return merge([{ values: [], problems: direct.problems }, ...direct.values.map((x) => this.throughWrappers({ ...x, name: x.name ?? v.name }, depth + 1))]);
    }
    // @functools.wraps(func) where func is a parameter: the functions given to the factory.
    const callers = wrappedCallers(this.index, v.file, target);
    if ("refuse" in callers) {
      return none(`${v.file}:${v.func.startPosition.row + 1}: ${fnName}(*args, **kwargs) is a pass-through wrapper: ${callers.refuse}`, {
        wrapper: true,
        name: v.name ?? fnName,
      });
    }
    return merge(
      callers.sites.map((s) => {
        const r: Resolution = s.def ? { values: [{ kind: "def", file: s.file, func: s.def }], problems: [] } : this.value(s.arg as Node, s.file, depth + 1);
        return merge([
          { values: [], problems: r.problems },
          ...r.values.map((x) => this.throughWrappers(x.kind === "def" ? { ...x, name: s.name ?? x.name } : x, depth + 1)),
        ]);
      }),
    );
  }

  value(node: Node, file: string, depth: number): Resolution {
    if (depth > MAX_DEPTH) return none(`${oneLine(node.text)}: too many indirections to follow`);
    switch (node.type) {
      case "identifier":
        return this.name(node.text, node, file, depth);
      case "attribute":
        return this.attribute(node, file, depth);
      case "call":
        return this.call(node, file, depth);
      case "string":
        return { values: [{ kind: "string", value: stringValue(node) }], problems: [] };
      case "list":
      case "tuple":
      case "set":
      case "expression_list":
        // A literal collection stands for its elements (a loop over it, a list of tools).
        return merge(node.namedChildren.filter((c) => c.type !== "comment").map((c) => this.value(c, file, depth + 1)));
      case "parenthesized_expression": {
        const inner = node.namedChildren.find((c) => c.type !== "comment");
        return inner ? this.value(inner, file, depth + 1) : none("empty parentheses");
      }
      case "await":
        return none(`${oneLine(node.text)}: a value computed at run time`, { remote: PROXY.test(node.text) });
      default:
        return none(`${oneLine(node.text)} (${node.type.replace(/_/g, " ")}) is not a function xaccount can find statically`);
    }
  }

  private fromBinding(b: Binding, name: string, depth: number): Resolution {
    switch (b.kind) {
      case "def":
        return { values: [{ kind: "def", file: b.file, func: b.func }], problems: [] };
      case "module":
        return { values: [{ kind: "module", module: b.module }], problems: [] };
      case "value": {
        const r = this.value(b.value, b.file, depth + 1);
        // A literal list that the module appends to later is not the list the server loops over. It is
        // looked for under the name its own module gives it: `name` may be `pkg.mod.TOOLS` or an alias.
        const own = b.value.parent?.childForFieldName("left")?.text ?? name;
        if (["list", "tuple", "set"].includes(b.value.type) && mutated(this.index.text(b.file), own)) {
          return none(`${name} is a list changed at run time (append/extend/insert/+=): its final content is not in the code`);
        }
        // `x = await make_proxy(..., local_tool_name='read_docs')`: report it under the name it gets.
        const call = firstCall(b.value);
        const args = call?.childForFieldName("arguments");
        const given = args ? keywordString(args, ["name", "local_tool_name", "tool_name"]) : undefined;
        if (given === undefined) return r;
        return { values: r.values, problems: r.problems.map((p) => ({ ...p, name: p.name ?? given })) };
      }
      case "class":
        return none(`${name} is a class, not a function`);
      case "external":
        return none(`${name} comes from outside this package (${b.text}): its code is not here to patch`, { remote: PROXY.test(b.text) });
      case "unknown":
        return none(b.why);
    }
  }

  /** A bare name, from the innermost scope out: loop variables, parameters, local and module bindings. */
  private name(name: string, from: Node, file: string, depth: number): Resolution {
    for (let n: Node | null = from, child: Node | null = null; n; child = n, n = n.parent) {
      if (n.type === "for_statement" && child && child.startIndex >= (n.childForFieldName("body")?.startIndex ?? Infinity)) {
        const left = n.childForFieldName("left");
        const right = n.childForFieldName("right");
        if (left?.type === "identifier" && left.text === name && right) {
          const r = this.value(right, file, depth + 1);
          if (r.values.length === 0 && r.problems.length > 0) {
            return none(`${name} loops over ${oneLine(right.text)}, which is not a list xaccount can read statically (${r.problems[0]?.reason})`);
          }
          if (r.values.length === 0) return none(`${name} loops over ${oneLine(right.text)}, which is empty where it is defined (filled at run time)`);
          return r;
        }
      }
      // Any enclosing block (a def's body, a loop's, an if's) may bind it before the registration.
      if (n.type === "block" && n.parent?.type !== "class_definition") {
        const b = this.index.bindingIn(n, file, name, 0);
        if (b) return this.fromBinding(b, name, depth);
      }
      if (n.type === "function_definition" && child?.type === "block") {
        const params = parameterNames(n);
        if (params.includes(name)) return this.parameter(n, name, file, depth);
      }
      if (n.type === "module") {
        const b = this.index.bindingIn(n, file, name, 0);
        if (b) return this.fromBinding(b, name, depth);
        return none(`${name} is not defined in ${file}`);
      }
    }
    return none(`${name} is not defined in ${file}`);
  }

  /**
   * A registration helper's parameter (`def _register(name, fn): mcp.tool(name=name)(fn)`): the
   * functions every caller in the package passes there, under the names they give.
   */
  private parameter(func: Node, name: string, file: string, depth: number): Resolution {
    const fnName = func.childForFieldName("name")?.text ?? "a function";
    if (parameterNames(func)[0] === name && func.parent?.parent?.type === "class_definition") {
      return none(`${name} is the instance of ${fnName}(), not a function`);
    }
    const callers = callersOf(this.index, file, func, name);
    if ("refuse" in callers) return none(`${name} is a parameter of ${fnName}(): ${callers.refuse}`);
    return merge(
      callers.sites.map((s) => {
        const r: Resolution = s.def ? { values: [{ kind: "def", file: s.file, func: s.def }], problems: [] } : this.value(s.arg as Node, s.file, depth + 1);
        return { values: r.values.map((v) => (v.kind === "def" && s.name !== undefined ? { ...v, name: s.name } : v)), problems: r.problems };
      }),
    );
  }

  private attribute(node: Node, file: string, depth: number): Resolution {
    const obj = node.childForFieldName("object");
    const attr = node.childForFieldName("attribute")?.text ?? "";
    if (!obj) return none(oneLine(node.text));
    // self.method inside a method: the class's own def.
    if (obj.type === "identifier") {
      const method = this.selfMethod(obj, attr, file);
      if (method) return method;
    }
    const base = this.value(obj, file, depth + 1);
    const modules = base.values.filter((v): v is Extract<Value, { kind: "module" }> => v.kind === "module");
    if (modules.length > 0 && modules.length === base.values.length && base.problems.length === 0) {
      if (attr === "__all__") return merge(modules.map((m) => this.dunderAll(m.module)));
      return merge(modules.map((m) => this.fromBinding(this.index.lookup(m.module, attr), `${m.module}.${attr}`, depth)));
    }
    if (attr === "fn") return { values: [{ kind: "tool-fn", text: oneLine(node.text) }], problems: [] };
    return none(`${oneLine(node.text)} is not a function xaccount can find statically`, { remote: PROXY.test(node.text) });
  }

  /** `self.x` where self is the first parameter of a method: def x in that class's body. */
  private selfMethod(obj: Node, attr: string, file: string): Resolution | undefined {
    let func: Node | null = obj.parent;
    while (func && func.type !== "function_definition") func = func.parent;
    if (!func || parameterNames(func)[0] !== obj.text) return undefined;
    let cls: Node | null = func.parent;
    if (cls?.type === "decorated_definition") cls = cls.parent;
    cls = cls?.type === "block" ? cls.parent : null;
    if (cls?.type !== "class_definition") return undefined;
    const body = cls.childForFieldName("body");
    const b = body ? this.index.bindingIn(body, file, attr, 0) : undefined;
    const clsName = cls.childForFieldName("name")?.text ?? "the class";
    if (b?.kind === "def") return { values: [{ kind: "def", file, func: b.func }], problems: [] };
    return none(`${obj.text}.${attr}: ${clsName} defines no method ${attr} in its own body (inherited or set at run time)`);
  }

  /** The names a module exports in a literal `__all__`, each tied to that module. */
  private dunderAll(module: string): Resolution {
    const b = this.index.lookup(module, "__all__");
    if (b.kind !== "value" || !["list", "tuple"].includes(b.value.type)) {
      return none(`${module}.__all__ is not a literal list of names`);
    }
    const items = b.value.namedChildren.filter((c) => c.type !== "comment");
    if (!items.every((c) => c.type === "string")) return none(`${module}.__all__ holds more than plain strings`);
    return { values: items.map((c) => ({ kind: "string", value: stringValue(c), module })), problems: [] };
  }

  private call(node: Node, file: string, depth: number): Resolution {
    const fn = node.childForFieldName("function");
    const args = node.childForFieldName("arguments");
    if (!fn || !args) return none(oneLine(node.text));
    const positional = positionalArgs(args);
    if (TOOL_FACTORY.test(fn.text)) {
      const target = keywordValue(args, "fn") ?? positional[0];
      if (!target) return none(`${oneLine(node.text)}: no function given`);
      const name = keywordString(args, ["name"]);
      const r = this.value(target, file, depth + 1);
      return { values: r.values.map((v) => (v.kind === "def" && name ? { ...v, name } : v)), problems: r.problems };
    }
    if (fn.type === "identifier" && fn.text === "getattr" && positional.length === 2) {
      return this.getattr(positional[0] as Node, positional[1] as Node, file, depth);
    }
    if (PROXY.test(fn.text)) return none(`${oneLine(node.text)}: proxied from a remote MCP server, no Python body to patch`, { remote: true });
    // wrap(f): a call to a factory that returns a pass-through wrapper of its argument.
    const callee = this.value(fn, file, depth + 1);
    const def = callee.values.length === 1 && callee.values[0]?.kind === "def" ? callee.values[0] : undefined;
    if (def) {
      const returned = returnedPassThrough(def.func);
      if (returned !== undefined && positional[returned]) return this.value(positional[returned] as Node, file, depth + 1);
    }
    return none(`registered the result of calling ${oneLine(fn.text)}(...): what it returns is only known at run time`);
  }

  private getattr(objNode: Node, nameNode: Node, file: string, depth: number): Resolution {
    const objs = this.value(objNode, file, depth + 1);
    const names = this.value(nameNode, file, depth + 1);
    const problems = [...objs.problems, ...names.problems];
    const modules = objs.values.flatMap((v) => (v.kind === "module" ? [v.module] : []));
    if (problems.length > 0 || modules.length !== objs.values.length || names.values.some((v) => v.kind !== "string")) {
      return {
        values: [],
        problems: [{ reason: `getattr(${oneLine(objNode.text)}, ${oneLine(nameNode.text)}): ${problems[0]?.reason ?? "not a module and a name xaccount can read statically"}` }],
      };
    }
    const out: Resolution[] = [];
    for (const n of names.values) {
      if (n.kind !== "string") continue;
      // A name read from a module's own __all__ belongs to that module only.
      const from = n.module ? modules.filter((m) => m === n.module) : modules;
      for (const m of from) out.push(this.fromBinding(this.index.lookup(m, n.value), `${m}.${n.value}`, depth));
    }
    return merge(out);
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Does the module change list `name` in place? (`name.append(...)`, `name += [...]`...) A name at
 * the start of a line follows a "\n", which `[^\w.]` matches: `^` is only for the text's start.
 */
function mutated(text: string, name: string): boolean {
  return new RegExp(`(^|[^\\w.])${escape(name)}\\s*(\\.\\s*(append|extend|insert)\\s*\\(|\\+=)`).test(text);
}

/** The first call in an expression (through `await`), e.g. the right side of `x = await make(...)`. */
function firstCall(node: Node): Node | undefined {
  if (node.type === "call") return node;
  for (const c of node.namedChildren) {
    const hit = firstCall(c);
    if (hit) return hit;
  }
  return undefined;
}

/** If `func` returns a nested pass-through wrapper of one of its parameters: that parameter's index. */
function returnedPassThrough(func: Node): number | undefined {
  const body = func.childForFieldName("body");
  if (!body) return undefined;
  const params = parameterNames(func);
  for (const stmt of body.namedChildren) {
    if (stmt.type !== "return_statement") continue;
    const ret = stmt.namedChildren[0];
    if (ret?.type !== "identifier") continue;
    for (const s of body.namedChildren) {
      const def = s.type === "decorated_definition" ? s.childForFieldName("definition") : s;
      if (def?.type !== "function_definition" || def.childForFieldName("name")?.text !== ret.text) continue;
      const t = passThroughTarget(def);
      if (t?.wrapped.type === "identifier") {
        const i = params.indexOf(t.wrapped.text);
        if (i >= 0) return i;
      }
    }
  }
  return undefined;
}

export function parameterNames(func: Node): string[] {
  const params = func.childForFieldName("parameters");
  if (!params) return [];
  return params.namedChildren.flatMap((p) => {
    if (p.type === "identifier") return [p.text];
    const name = p.childForFieldName("name") ?? p.namedChildren[0];
    if (!name) return [];
    if (name.type === "identifier") return [name.text];
    const inner = name.namedChildren[0];
    return inner?.type === "identifier" ? [inner.text] : [];
  });
}

export function positionalArgs(args: Node): Node[] {
  return args.namedChildren.filter((a) => a.type !== "keyword_argument" && a.type !== "comment" && a.type !== "dictionary_splat" && a.type !== "list_splat");
}

export function keywordValue(args: Node, name: string): Node | undefined {
  for (const a of args.namedChildren) {
    if (a.type === "keyword_argument" && a.childForFieldName("name")?.text === name) return a.childForFieldName("value") ?? undefined;
  }
  return undefined;
}

export function keywordString(args: Node, names: string[]): string | undefined {
  for (const a of args.namedChildren) {
    if (a.type !== "keyword_argument") continue;
    const key = a.childForFieldName("name")?.text;
    const value = a.childForFieldName("value");
    if (key && names.includes(key) && value?.type === "string") return stringValue(value);
  }
  return undefined;
}

export function stringValue(str: Node): string {
  return str.namedChildren
    .filter((c) => c.type === "string_content")
    .map((c) => c.text)
    .join("");
}
