/**
 * Puts one server entry into an MCP client's config text, changing nothing else: a pure function from
 * the old text to the new. Only the entry's bytes change (or, when the entry is new, the bytes that
 * insert it); every other entry, key, comment, blank line and line ending stays as it was.
 *
 * The entry's `command`, `args`, `env` (and VS Code's `type`) are xaccount's and are replaced whole;
 * other keys a user or the client added to the entry (`disabled`, `autoApprove`, `timeout`, ...) stay.
 */
import { usageError, type XaError } from "../errors.js";
import { deepEqual, parseJsonc, type JsonMember, type JsonNode, type JsonValue } from "./jsonc.js";

export type ServerEntry = { [key: string]: JsonValue };

export interface MergeResult {
  text: string;
  changed: boolean;
  /** True when the entry was not there before. */
  added: boolean;
}

/** The keys of an entry xaccount writes; any other key of an existing entry is kept. */
export const OWNED_KEYS = ["type", "command", "args", "env"] as const;

/**
 * `text` undefined (no file) or blank: a new file with just this entry. `serversKey` is the top-level
 * key the client reads (`mcpServers`, or VS Code's `servers`). `where` names the file in errors.
 */
export function mergeEntry(text: string | undefined, serversKey: string, name: string, entry: ServerEntry, where: string): MergeResult {
  if (text === undefined || text.trim() === "") {
    const fresh = `${JSON.stringify({ [serversKey]: { [name]: entry } }, null, 2)}\n`;
    return { text: fresh, changed: true, added: true };
  }
  const parsed = parseJsonc(text);
  if (!parsed.ok) {
    const e = parsed.error;
    throw invalid(where, `${e.message} at line ${e.line}, column ${e.column}`);
  }
  const root = parsed.root;
  if (root.kind !== "object") throw invalid(where, "the top level is not a JSON object");
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const unit = indentUnit(text, root);

  const servers = single(root, serversKey, where);
  if (servers === undefined) {
    return insertMember(text, root, serversKey, { [name]: entry }, unit, eol, true);
  }
  if (servers.value.kind !== "object") throw invalid(where, `"${serversKey}" is not an object`);
  const existing = single(servers.value, name, where);
  if (existing === undefined) return insertMember(text, servers.value, name, entry, unit, eol, true);
  if (existing.value.kind !== "object") throw invalid(where, `the entry "${name}" under "${serversKey}" is not an object`);

  const old = existing.value.value as { [key: string]: JsonValue };
  const merged: ServerEntry = {};
  // Existing keys keep their place; ours replace theirs or are removed when we no longer write them.
  for (const [k, v] of Object.entries(old)) {
    if (!(OWNED_KEYS as readonly string[]).includes(k)) merged[k] = v;
    else if (k in entry) merged[k] = entry[k]!;
  }
  for (const [k, v] of Object.entries(entry)) if (!(k in merged)) merged[k] = v;
  if (deepEqual(old, merged)) return { text, changed: false, added: false };
  const indent = lineIndent(text, existing.keyStart);
  const replacement = serialize(merged, indent, unit, eol);
  return { text: text.slice(0, existing.value.start) + replacement + text.slice(existing.value.end), changed: true, added: false };
}

function invalid(where: string, what: string): XaError {
  return usageError(
    "config-file-invalid",
    `${where}: ${what}; nothing was changed`,
    "fix the file (or move it aside) and run again, or write elsewhere with --config-file PATH, or use --print and paste the entry yourself",
  );
}

/** The member `key` of `obj`, refusing a key given twice (which one the client reads is not ours to guess). */
function single(obj: JsonNode, key: string, where: string): JsonMember | undefined {
  const found = (obj.members ?? []).filter((m) => m.key === key);
  if (found.length > 1) throw invalid(where, `"${key}" appears ${found.length} times in the same object`);
  return found[0];
}

function insertMember(text: string, obj: JsonNode, key: string, value: JsonValue, unit: string, eol: string, added: boolean): MergeResult {
  const members = obj.members ?? [];
  const objIndent = lineIndent(text, obj.start);
  if (members.length === 0) {
    const memberIndent = objIndent + unit;
    const inner = text.slice(obj.start + 1, obj.end - 1);
    const body = `${eol}${memberIndent}${JSON.stringify(key)}: ${serialize(value, memberIndent, unit, eol)}`;
    // `{}` or `{ }`: lay it out; with a comment inside, keep the comment and add after it.
    const replacement = inner.trim() === "" ? `{${body}${eol}${objIndent}}` : `{${inner.replace(/\s*$/, "")}${body}${eol}${objIndent}}`;
    return { text: text.slice(0, obj.start) + replacement + text.slice(obj.end), changed: true, added };
  }
  const last = members[members.length - 1]!;
  // The last member's own indentation, unless it shares its line with the brace ({"a": 1}).
  const sameLine = !text.slice(obj.start, last.keyStart).includes("\n");
  const memberIndent = sameLine ? objIndent + unit : lineIndent(text, last.keyStart);
  const insertion = `,${eol}${memberIndent}${JSON.stringify(key)}: ${serialize(value, memberIndent, unit, eol)}`;
  return { text: text.slice(0, last.value.end) + insertion + text.slice(last.value.end), changed: true, added };
}

/** JSON text of `value` for a place whose line is indented by `indent`. */
function serialize(value: JsonValue, indent: string, unit: string, eol: string): string {
  return JSON.stringify(value, null, unit).split("\n").join(eol + indent);
}

/** The whitespace that starts the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

/** The file's indentation step: that of the root's first member on its own line, else two spaces. */
function indentUnit(text: string, root: JsonNode): string {
  const first = root.members?.[0];
  if (first && text.slice(root.start, first.keyStart).includes("\n")) {
    const own = lineIndent(text, first.keyStart).slice(lineIndent(text, root.start).length);
    if (own.length > 0) return own;
  }
  return "  ";
}
