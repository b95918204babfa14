/**
 * Pass-through wrappers: `@functools.wraps(func) async def wrapper(*args, **kwargs)`. FastMCP reads
 * the schema through `__wrapped__`, so the tool's parameters are those of the function it wraps:
 * decorating the wrapper would give it an account_id FastMCP never shows, and the real tool would
 * run without one. Such a wrapper is never patched; the functions passed to it are, or the patch
 * refuses when they cannot all be found.
 */
import type { Node } from "./parse.js";
import type { PackageIndex } from "./package-index.js";
import { oneLine } from "./package-index.js";
import { keywordString, parameterNames, positionalArgs, stringValue } from "./resolve.js";

export interface PassThrough {
  wrapper: Node;
  /** The argument of `wraps(...)`. */
  wrapped: Node;
}

const SPLATS = new Set(["list_splat_pattern", "dictionary_splat_pattern"]);
const isSplat = (p: Node): boolean => SPLATS.has(p.type) || (p.type === "typed_parameter" && SPLATS.has(p.namedChildren[0]?.type ?? ""));

/** A def taking only `*args` / `**kwargs` and decorated with `wraps(x)`: returns x. */
export function passThroughTarget(func: Node): PassThrough | undefined {
  const params = (func.childForFieldName("parameters")?.namedChildren ?? []).filter((p) => p.type !== "comment");
  if (params.length === 0 || !params.every(isSplat)) return undefined;
  const decorated = func.parent;
  if (decorated?.type !== "decorated_definition") return undefined;
  for (const d of decorated.namedChildren) {
    const call = d.type === "decorator" ? d.namedChildren[0] : undefined;
    if (call?.type !== "call") continue;
    const fn = call.childForFieldName("function")?.text ?? "";
    if (fn !== "wraps" && !fn.endsWith(".wraps")) continue;
    const first = positionalArgs(call.childForFieldName("arguments") as Node)[0];
    if (first) return { wrapper: func, wrapped: first };
  }
  return undefined;
}

/** A place the package hands a function to a wrapper factory. */
export interface WrappedSite {
  file: string;
  /** The function passed (an expression to resolve)... */
  arg?: Node;
  /** ...or the def the factory decorates. */
  def?: Node;
  /** The tool name the call gives (name= or its first string argument). */
  name?: string;
}

const moduleLevel = (def: Node): boolean => {
  const p = def.parent?.type === "decorated_definition" ? def.parent.parent : def.parent;
  return p?.type === "module";
};

const enclosingDef = (n: Node): Node | undefined => {
  for (let p = n.parent; p; p = p.parent) if (p.type === "function_definition") return p;
  return undefined;
};

/**
 * Every call in the package that hands a function to the factory whose parameter the wrapper wraps:
 * `wrap(f)` / `@wrap` for a module-level `def wrap(func)`, `make(...)(f)` / `@make(...)` when
 * `make` returns that def. Any other use of the factory's name is a refusal: a call xaccount cannot
 * follow could register a tool it never sees.
 */
export function wrappedCallers(index: PackageIndex, file: string, target: PassThrough): { sites: WrappedSite[] } | { refuse: string } {
  if (target.wrapped.type !== "identifier") return { refuse: `it wraps ${oneLine(target.wrapped.text)}, which xaccount cannot trace` };
  const holder = ((): Node | undefined => {
    for (let d = enclosingDef(target.wrapper); d; d = enclosingDef(d)) if (parameterNames(d).includes(target.wrapped.text)) return d;
    return undefined;
  })();
  if (!holder) return { refuse: `${target.wrapped.text} is neither a function of this package nor a parameter of the factory` };
  return callersOf(index, file, holder, target.wrapped.text);
}

/**
 * The functions the package passes as parameter `param` of `holder`, at every call: `holder(f)` /
 * `@holder` for a module-level def, `make(...)(f)` / `@make(...)` when a module-level `make`
 * returns holder. Any other use of the name is a refusal: a call xaccount cannot follow could
 * register a tool it never sees.
 */
export function callersOf(index: PackageIndex, file: string, holder: Node, param: string): { sites: WrappedSite[] } | { refuse: string } {
  const position = parameterNames(holder).indexOf(param);
  let factory = holder;
  let curried = false;
  if (!moduleLevel(holder)) {
    const outer = enclosingDef(holder);
    const holderName = holder.childForFieldName("name")?.text;
    const returns = outer?.childForFieldName("body")?.namedChildren.some(
      (s) => s.type === "return_statement" && s.namedChildren[0]?.type === "identifier" && s.namedChildren[0].text === holderName,
    );
    if (!outer || !returns || !moduleLevel(outer)) {
      return { refuse: `${holderName ?? "?"}, which receives it, is not a module-level function (or one returned by one), so its callers cannot be traced` };
    }
    factory = outer;
    curried = true;
  }
  const factoryName = factory.childForFieldName("name")?.text ?? "";
  const sites: WrappedSite[] = [];
  const word = new RegExp(`\\b${factoryName}\\b`, "g");
  for (const rel of index.files) {
    if (!index.text(rel).includes(factoryName)) continue;
    const { root } = index.source(rel);
    for (const m of root.text.matchAll(word)) {
      const at = root.startIndex + (m.index ?? 0);
      const ident = root.descendantForIndex(at, at + factoryName.length);
      if (ident.type !== "identifier") continue;
      const use = classify(ident, factory, rel, file, index, position, curried);
      if (use === "ignore") continue;
      if ("refuse" in use) return use;
      sites.push(use);
    }
  }
  if (sites.length === 0) return { refuse: `no call of ${factoryName} that hands it a function was found in the package` };
  return { sites };
}

function classify(
  ident: Node,
  factory: Node,
  rel: string,
  factoryFile: string,
  index: PackageIndex,
  position: number,
  curried: boolean,
): WrappedSite | { refuse: string } | "ignore" {
  const parent = ident.parent;
  if (!parent) return "ignore";
  // The def's own name, an import of it, a keyword's name (`f(deco=1)`; as a keyword's value it is a use).
  // Nodes are compared by place: the binding hands out a new object for a node it has let go of, so
  // `parent === factory` failed at the garbage collector's whim and refused the factory's own def. The
  // place is the file and the offset (a def at the same offset of another module is not the factory);
  // in the factory's file, no other parent of an identifier starts at the offset of its `def`.
  const isFactory = (file: string, def: Node): boolean => file === factoryFile && def.startIndex === factory.startIndex;
  if (isFactory(rel, parent)) return "ignore";
  // Every identifier of an import statement is in a dotted_name or, as an alias, an aliased_import.
  if (parent.type === "dotted_name" || parent.type === "aliased_import") return "ignore";
  if (parent.type === "keyword_argument" && parent.childForFieldName("name")?.startIndex === ident.startIndex) return "ignore";
  // Only uses of this very factory: a local name that happens to match is another function.
  const bound = index.bindingIn(index.source(rel).root, rel, ident.text);
  if (bound?.kind !== "def" || !isFactory(bound.file, bound.func)) return "ignore";
  const where = `${rel}:${ident.startPosition.row + 1}`;
  const nameFrom = (call: Node): string | undefined => {
    const args = call.childForFieldName("arguments");
    if (!args) return undefined;
    const kw = keywordString(args, ["name"]);
    if (kw !== undefined) return kw;
    const s = positionalArgs(args).find((a) => a.type === "string");
    return s ? stringValue(s) : undefined;
  };
  const decorated = (decorator: Node): WrappedSite | { refuse: string } => {
    const dd = decorator.parent;
    const def = dd?.type === "decorated_definition" ? dd.childForFieldName("definition") : null;
    return def?.type === "function_definition" ? { file: rel, def } : { refuse: `${where}: decorates something other than a function` };
  };
  // A node right under a call is its function: the arguments are an argument_list or a generator_expression.
  if (parent.type === "call") {
    if (!curried) {
      if (parent.parent?.type === "decorator") return { refuse: `${where}: ${oneLine(parent.text)} used as a decorator factory` };
      const arg = positionalArgs(parent.childForFieldName("arguments") as Node)[position];
      return arg ? { file: rel, arg, ...withName(nameFrom(parent)) } : { refuse: `${where}: ${oneLine(parent.text)} passes no function` };
    }
    const outer = parent.parent;
    if (outer?.type === "decorator") return { ...decorated(outer), ...withName(nameFrom(parent)) };
    if (outer?.type === "call") {
      const arg = positionalArgs(outer.childForFieldName("arguments") as Node)[position];
      return arg ? { file: rel, arg, ...withName(nameFrom(parent)) } : { refuse: `${where}: ${oneLine(outer.text)} passes no function` };
    }
    return { refuse: `${where}: ${oneLine(parent.text)} keeps the wrapper factory's result in a value xaccount cannot follow` };
  }
  if (!curried && parent.type === "decorator") return decorated(parent);
  return { refuse: `${where}: ${oneLine(parent.text)} uses the wrapper factory in a way xaccount cannot follow` };
}

const withName = (name: string | undefined): { name?: string } => (name === undefined ? {} : { name });
