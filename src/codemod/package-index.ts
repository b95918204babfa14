/**
 * The package's modules as the resolver sees them: dotted module names <-> package-relative files,
 * each parsed once on demand, and what a module-level name is bound to (a def, an import, an
 * assignment). Static and conservative: anything it cannot read for certain is "unknown", never
 * a guess.
 */
import type { Node } from "./parse.js";

export interface ModuleSource {
  /** Package-relative path, "/" separators. */
  rel: string;
  root: Node;
}

/** What a name means at one scope. */
export type Binding =
  | { kind: "def"; file: string; func: Node }
  | { kind: "class"; file: string; node: Node }
  | { kind: "module"; module: string }
  | { kind: "value"; file: string; value: Node }
  | { kind: "external"; text: string }
  | { kind: "unknown"; why: string };

export class PackageIndex {
  private readonly byModule = new Map<string, string>();
  private readonly moduleByRel = new Map<string, string>();

  /**
   * @param packageModule dotted name of the package folder, e.g. "awslabs.ecs_mcp_server"
   * @param files every Python file of the package, package-relative
   * @param load parses one of them (the engine's loader: it refuses a file that does not parse)
   * @param read its text without parsing (a cheap look for a name before parsing)
   */
  constructor(
    readonly packageModule: string,
    readonly files: readonly string[],
    private readonly load: (rel: string) => ModuleSource,
    private readonly read: (rel: string) => string = (rel) => load(rel).root.text,
  ) {
    for (const rel of files) {
      const parts = rel.replace(/\.py$/, "").split("/");
      if (parts[parts.length - 1] === "__init__") parts.pop();
      const mod = [packageModule, ...parts].join(".");
      this.byModule.set(mod, rel);
      this.moduleByRel.set(rel, mod);
    }
  }

  /** A single module with no package around it (unit tests of the rules). */
  static single(root: Node, rel = "module.py"): PackageIndex {
    return new PackageIndex("pkg", [rel], () => ({ rel, root }));
  }

  text(rel: string): string {
    return this.read(rel);
  }

  source(rel: string): ModuleSource {
    return this.load(rel);
  }

  moduleOf(rel: string): string | undefined {
    return this.moduleByRel.get(rel);
  }

  fileOf(module: string): string | undefined {
    return this.byModule.get(module);
  }

  /**
   * The module `from <spec> import ...` names, seen from file `rel`: relative (".x", "..a.b") or
   * absolute inside the package. Undefined outside the package.
   */
  resolveSpec(rel: string, spec: string): string | undefined {
    const dots = /^\.*/.exec(spec)?.[0].length ?? 0;
    const rest = spec.slice(dots);
    if (dots === 0) return rest === this.packageModule || rest.startsWith(`${this.packageModule}.`) ? rest : undefined;
    const here = this.moduleOf(rel);
    if (!here) return undefined;
    // A package's __init__ is the package itself; a plain module's package is its parent.
    const parts = here.split(".");
    const base = rel.endsWith("__init__.py") ? parts : parts.slice(0, -1);
    const up = base.slice(0, base.length - (dots - 1));
    if (up.length < this.packageModule.split(".").length) return undefined;
    return rest ? [...up, rest].join(".") : up.join(".");
  }

  /** What `name` means at module level in `module` (following re-exports), depth-limited. */
  lookup(module: string, name: string, depth = 0): Binding {
    const rel = this.fileOf(module);
    if (!rel) {
      const sub = `${module}.${name}`;
      return this.fileOf(sub)
        ? { kind: "module", module: sub }
        : { kind: "unknown", why: `${name} is defined in another module (${module}) that is not among this package's files` };
    }
    const { root } = this.source(rel);
    const found = this.bindingIn(root, rel, name, depth);
    if (found) return found;
    // `from pkg import sub` where sub is a submodule never named in pkg/__init__.py
    const sub = `${module}.${name}`;
    if (this.fileOf(sub)) return { kind: "module", module: sub };
    return { kind: "unknown", why: `${module} defines no ${name}` };
  }

  /**
   * The binding of `name` among the statements of one block (a module or a def's body), the last
   * one winning as at run time for straight-line code. Undefined when the block does not bind it.
   */
  bindingIn(block: Node, rel: string, name: string, depth = 0): Binding | undefined {
    let found: Binding | undefined;
    for (const stmt of block.namedChildren) {
      const b = this.statementBinding(stmt, rel, name, depth);
      if (b) found = b;
    }
    return found;
  }

  private statementBinding(stmt: Node, rel: string, name: string, depth: number): Binding | undefined {
    switch (stmt.type) {
      case "decorated_definition": {
        const def = stmt.childForFieldName("definition");
        return def ? this.statementBinding(def, rel, name, depth) : undefined;
      }
      case "function_definition":
        return stmt.childForFieldName("name")?.text === name ? { kind: "def", file: rel, func: stmt } : undefined;
      case "class_definition":
        return stmt.childForFieldName("name")?.text === name ? { kind: "class", file: rel, node: stmt } : undefined;
      case "expression_statement": {
        const assign = stmt.namedChildren[0];
        if (assign?.type !== "assignment") return undefined;
        const left = assign.childForFieldName("left");
        const right = assign.childForFieldName("right");
        if (left?.type === "identifier" && left.text === name && right) return { kind: "value", file: rel, value: right };
        return undefined;
      }
      case "import_from_statement":
        return this.fromImport(stmt, rel, name, depth);
      case "import_statement":
        return this.plainImport(stmt, name);
      case "if_statement":
      case "try_statement": {
        // `try: from .x import f` / `if TYPE_CHECKING:` — the first branch that binds it.
        for (const c of stmt.namedChildren) {
          const body = c.type === "block" ? c : c.namedChildren.find((n) => n.type === "block");
          const b = body ? this.bindingIn(body, rel, name, depth) : undefined;
          if (b) return b;
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private fromImport(stmt: Node, rel: string, name: string, depth: number): Binding | undefined {
    const spec = stmt.childForFieldName("module_name")?.text ?? "";
    for (const n of stmt.childrenForFieldName("name")) {
      const original = n.type === "aliased_import" ? n.childForFieldName("name")?.text : n.text;
      const local = n.type === "aliased_import" ? n.childForFieldName("alias")?.text : n.text;
      if (local !== name || !original) continue;
      const mod = this.resolveSpec(rel, spec);
      if (!mod) return { kind: "external", text: oneLine(stmt.text) };
      if (depth > 8) return { kind: "unknown", why: `${name}: too many re-exports to follow` };
      if (this.fileOf(`${mod}.${original}`)) return { kind: "module", module: `${mod}.${original}` };
      return this.lookup(mod, original, depth + 1);
    }
    return undefined;
  }

  private plainImport(stmt: Node, name: string): Binding | undefined {
    for (const n of stmt.namedChildren) {
      if (n.type === "aliased_import") {
        if (n.childForFieldName("alias")?.text !== name) continue;
        const mod = n.childForFieldName("name")?.text ?? "";
        return this.fileOf(mod) ? { kind: "module", module: mod } : { kind: "external", text: oneLine(stmt.text) };
      }
      if (n.type === "dotted_name" && n.text === name) {
        return this.fileOf(name) ? { kind: "module", module: name } : { kind: "external", text: oneLine(stmt.text) };
      }
    }
    return undefined;
  }
}

export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
