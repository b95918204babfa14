/**
 * Planning: given a parsed module and its tools, the insertions that patch it. Pure: text and
 * nodes in, insertions and a per-tool verdict out. Nothing here reads or writes files.
 */
import type { Node } from "./parse.js";
import type { Insert } from "./apply.js";
import type { FoundTools, SkipKind, ToolSite } from "./find-tools.js";
import type { ExtraParam } from "./profile.js";
import { DECORATOR, IMPORT_MARKER, importNames, paramDeclaration } from "./contract.js";
import { docstringOf, planDocstring } from "./docstring.js";
import { alignTo, eolOf, indentAt, lineEnd, lineStart, nextLineStart } from "./source.js";
import { parameterNames } from "./resolve.js";

export type ToolStatus = "patched" | "unpatched" | "skipped";

export interface ToolVerdict {
  name: string;
  funcName?: string;
  line: number;
  /** Before this plan is applied. */
  status: ToolStatus;
  /** Parameters this plan adds (empty when nothing to do). */
  adds: ExtraParam[];
  reason?: string;
  /** Why a skipped tool is not patched (see SkipKind); "own-account-id": the tool's own parameter. */
  skip?: SkipKind | "own-account-id";
  /** The profile says why this skipped tool is correct as it is: --check accepts it. */
  acknowledged?: boolean;
}

export interface FilePlan {
  inserts: Insert[];
  tools: ToolVerdict[];
}

export interface PlanOptions {
  params: readonly ExtraParam[];
  /** Dotted module of the vendored runtime, e.g. awslabs.ecs_mcp_server._xaccount. */
  runtimeModule: string;
}

export function planFile(text: string, root: Node, found: FoundTools, opts: PlanOptions): FilePlan {
  const eol = eolOf(text);
  const inserts: Insert[] = [];
  const tools: ToolVerdict[] = found.skipped.map((s) => ({
    name: s.name,
    line: s.line,
    status: "skipped",
    adds: [],
    reason: s.reason,
    skip: s.kind,
  }));
  for (const tool of found.tools) {
    const verdict = planTool(text, tool, opts.params, eol);
    tools.push(verdict.verdict);
    inserts.push(...verdict.inserts);
  }
  // A tool gets insertions only when it lacks a parameter (adds), so this covers every edited tool,
  // and a patched one keeps its import.
  if (tools.some((t) => t.status === "patched" || t.adds.length > 0)) {
    const imp = planImport(text, root, opts, eol);
    // First: a module whose first statement is a plain def (a tool registered from another module)
    // gets the import and the decorator at the same index, and the import must come before.
    if (imp) inserts.unshift(imp);
  }
  tools.sort((a, b) => a.line - b.line);
  return { inserts, tools };
}

export function hasDecorator(func: Node, name: string): boolean {
  const parent = func.parent;
  if (parent?.type !== "decorated_definition") return false;
  return parent.namedChildren.some((d) => {
    if (d.type !== "decorator") return false;
    const t = d.namedChildren[0]?.text ?? "";
    return t === name || t.endsWith(`.${name}`);
  });
}

export function planTool(
  text: string,
  tool: ToolSite,
  params: readonly ExtraParam[],
  eol: string,
): { verdict: ToolVerdict; inserts: Insert[] } {
  const base = { name: tool.name, funcName: tool.funcName, line: tool.line };
  const names = parameterNames(tool.func);
  const decorated = hasDecorator(tool.func, DECORATOR);
  if (names.includes("account_id") && !decorated) {
    return {
      verdict: { ...base, status: "skipped", adds: [], reason: "already has its own account_id parameter: left as it is", skip: "own-account-id" },
      inserts: [],
    };
  }
  const adds = params.filter((p) => !names.includes(p));
  if (decorated && adds.length === 0) return { verdict: { ...base, status: "patched", adds: [] }, inserts: [] };
  const inserts: Insert[] = [];
  const paramsNode = tool.func.childForFieldName("parameters");
  if (!paramsNode) throw new Error(`no parameter list for ${tool.funcName}`);
  inserts.push(...planParams(text, paramsNode, adds.map(paramDeclaration), eol));
  if (!decorated) {
    const at = tool.func.startIndex;
    inserts.push({ at, text: `@${DECORATOR}${eol}${indentAt(text, at)}` });
  }
  const doc = docstringOf(tool.func);
  if (doc) inserts.push(...planDocstring(text, doc, adds, eol));
  return { verdict: { ...base, status: "unpatched", adds }, inserts };
}

const isSplat = (p: Node, type: string): boolean => p.type === type || (p.type === "typed_parameter" && p.namedChildren[0]?.type === type);
const firstOnLine = (text: string, index: number): boolean => text.slice(lineStart(text, index), index).trim() === "";
const restIsBlank = (text: string, index: number): boolean => {
  const rest = text.slice(index, lineEnd(text, index)).trim();
  return rest === "" || rest.startsWith("#");
};

/**
 * Insertions adding `decls` as the last parameters (before `**kwargs`), in the list's own layout:
 * one per line with the same indentation and trailing-comma habit when the list spans lines,
 * inline otherwise. Comments inside the list stay where they are.
 */
export function planParams(text: string, paramsNode: Node, decls: string[], eol: string): Insert[] {
  if (decls.length === 0) return [];
  const items = paramsNode.namedChildren.filter((c) => c.type !== "comment");
  const open = paramsNode.children[0];
  const close = paramsNode.children[paramsNode.children.length - 1];
  if (!open || !close) return [];
  const multiLine = open.startPosition.row !== close.startPosition.row;
  if (items.length === 0) return [{ at: open.endIndex, text: decls.join(", ") }];

  const kwargs = items.find((p) => isSplat(p, "dictionary_splat_pattern"));
  if (kwargs) {
    if (multiLine && firstOnLine(text, kwargs.startIndex)) {
      const ind = indentAt(text, kwargs.startIndex);
      return [{ at: kwargs.startIndex, text: decls.map((d) => `${d},${eol}${ind}`).join("") }];
    }
    return [{ at: kwargs.startIndex, text: decls.map((d) => `${d}, `).join("") }];
  }

  const last = items[items.length - 1] as Node;
  const comma = last.nextSibling?.type === "," ? last.nextSibling : undefined;
  if (!multiLine) return [{ at: last.endIndex, text: decls.map((d) => `, ${d}`).join("") }];

  const ind = firstOnLine(text, last.startIndex) ? indentAt(text, last.startIndex) : alignTo(text, last.startIndex);
  if (comma) {
    const at = restIsBlank(text, comma.endIndex) ? lineEnd(text, comma.endIndex) : comma.endIndex;
    return [{ at, text: decls.map((d) => `${eol}${ind}${d},`).join("") }];
  }
  const at = restIsBlank(text, last.endIndex) ? lineEnd(text, last.endIndex) : last.endIndex;
  return [
    { at: last.endIndex, text: "," },
    { at, text: decls.map((d) => `${eol}${ind}${d}`).join(",") },
  ];
}

const IMPORT_TYPES = new Set(["import_statement", "import_from_statement", "future_import_statement"]);
const DEF_TYPES = new Set(["function_definition", "class_definition", "decorated_definition"]);

/**
 * The runtime import, once per module: after the module's leading imports (so never before
 * `from __future__` or the docstring), or, when it already imports from the runtime, only the
 * names it lacks.
 */
export function planImport(text: string, root: Node, opts: PlanOptions, eol: string): Insert | undefined {
  const wanted = importNames(opts.params);
  const statements = root.namedChildren.filter((c) => c.type !== "comment");
  const existing = statements.filter(
    (s) => s.type === "import_from_statement" && /(^|\.)_xaccount$/.test(s.childForFieldName("module_name")?.text ?? ""),
  );
  const have = new Set<string>();
  for (const s of existing) {
    for (const n of s.childrenForFieldName("name")) have.add((n.childForFieldName("name") ?? n).text);
  }
  const missing = wanted.filter((n) => !have.has(n));
  if (missing.length === 0) return undefined;
  const line = `from ${opts.runtimeModule} import ${missing.join(", ")}  ${IMPORT_MARKER}`;

  let anchor: Node | undefined = existing[existing.length - 1];
  if (!anchor) {
    for (const s of statements) {
      if (DEF_TYPES.has(s.type)) break;
      if (IMPORT_TYPES.has(s.type)) anchor = s;
    }
  }
  if (!anchor) {
    const first = statements[0];
    const isDoc = first?.type === "expression_statement" && first.namedChildren.length === 1 && first.namedChildren[0]?.type === "string";
    anchor = isDoc ? first : undefined;
    if (!anchor) {
      // Not before root.startIndex: that would put the line ahead of a byte order mark.
      const at = first ? Math.max(root.startIndex, lineStart(text, first.startIndex)) : text.length;
      return { at, text: at === text.length && text.length > 0 && !text.endsWith("\n") ? `${eol}${line}${eol}` : `${line}${eol}` };
    }
  }
  const end = lineEnd(text, anchor.endIndex);
  const at = nextLineStart(text, anchor.endIndex);
  if (end === text.length) return { at, text: `${eol}${line}` }; // the anchor ends the file, with no line break
  return { at, text: `${line}${eol}` };
}
