/**
 * Adds `account_id:` (and `region:`) lines to a tool docstring's Args/Parameters section, in the
 * section's own style and indentation. A docstring without such a section is left alone: the
 * parameter's description already reaches the client through the JSON schema.
 */
import type { Node } from "./parse.js";
import type { Insert } from "./apply.js";
import { PARAM_SPECS } from "./contract.js";
import type { ExtraParam } from "./profile.js";
import { indentAt } from "./source.js";

const HEADER = /^([ \t]*)(?:#{1,6}[ \t]*)?(?:Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments)[ \t]*:[ \t]*$/;

interface Line {
  start: number;
  /** End of the text, before "\r\n" or "\n". */
  end: number;
  text: string;
}

/** The string node of a function's docstring, if its body starts with a plain string literal. */
export function docstringOf(func: Node): Node | undefined {
  const first = func.childForFieldName("body")?.namedChildren.find((c) => c.type !== "comment");
  const str = first?.type === "expression_statement" ? first.namedChildren[0] : undefined;
  return str?.type === "string" && first?.namedChildren.length === 1 ? str : undefined;
}

export function planDocstring(text: string, str: Node, params: readonly ExtraParam[], eol: string): Insert[] {
  const open = str.children[0];
  const close = str.children[str.children.length - 1];
  if (!open || !close || open.type !== "string_start" || close.type !== "string_end") return [];
  if (/[bf]/i.test(open.text)) return []; // bytes and f-strings are not docstrings
  const lines = splitLines(text, open.endIndex, close.startIndex);
  const headerAt = lines.findIndex((l) => HEADER.test(l.text));
  if (headerAt < 0) return [];
  const header = lines[headerAt] as Line;
  // On the opening line (`"""Args:`) the header stands where the quotes do, not at column 0 of the
  // text after them: read that way, the section ran to the docstring's end, past Returns: and others.
  const h = headerAt === 0 ? indentAt(text, str.startIndex).length : indentOf(header.text).length;
  const body = lines.slice(headerAt + 1);
  const firstEntry = body.find((l) => l.text.trim() !== "");
  if (!firstEntry) return [];
  const entryIndent = indentOf(firstEntry.text);
  const trimmed = firstEntry.text.trim();

  let last: Line | undefined;
  if (entryIndent.length > h) {
    // Google style: entries indented under the header until a line at or left of the header.
    for (const l of body) {
      if (l.text.trim() === "") continue;
      if (indentOf(l.text).length <= h) break;
      last = l;
    }
  } else {
    // "## Parameters:" followed by "- Required: name (...)" bullets at the header's indentation. The
    // loop's first line is the first entry, so one left of the header or not a bullet finds no section.
    for (const l of body) {
      if (l.text.trim() === "") break;
      const ind = indentOf(l.text).length;
      if (ind < h || (ind === h && !/^[-*]\s/.test(l.text.trim()))) break;
      last = l;
    }
  }
  if (!last) return [];
  const section = lines.slice(headerAt + 1, lines.indexOf(last) + 1).map((l) => l.text);
  const missing = params.filter((p) => !section.some((l) => new RegExp(`\\b${p}\\b`).test(l)));
  if (missing.length === 0) return [];
  const text2 = missing.map((p) => eol + entryIndent + entryFor(trimmed, p)).join("");
  return [{ at: last.end, text: text2 }];
}

/** One entry for `p`, written the way the section's first entry is written. */
function entryFor(firstEntry: string, p: ExtraParam): string {
  const doc = PARAM_SPECS[p].doc;
  const bullet = /^([-*])\s/.exec(firstEntry)?.[1];
  if (bullet) {
    if (/^[-*]\s+(Required|Optional)\s*:/i.test(firstEntry)) return `${bullet} Optional: ${p} (${doc.replace(/\.$/, "")})`;
    return `${bullet} ${p}: ${doc}`;
  }
  if (/^\w+\s*\([^)]*\)\s*:/.test(firstEntry)) return `${p} (str, optional): ${doc}`;
  return `${p}: ${doc}`;
}

function splitLines(text: string, from: number, to: number): Line[] {
  const out: Line[] = [];
  let start = from;
  for (const raw of text.slice(from, to).split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    out.push({ start, end: start + line.length, text: line });
    start += raw.length + 1;
  }
  return out;
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? "";
}
