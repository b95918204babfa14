/**
 * Source text helpers. Python files are read as bytes and decoded as UTF-8 once; every offset in the
 * engine is an index into that decoded JS string (node tree-sitter reports UTF-16 indices for string
 * input), and the text is encoded back to UTF-8 only when written. Valid UTF-8 round-trips byte for
 * byte, including a BOM, so nothing outside an edit changes.
 */
import { createHash } from "node:crypto";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 or returns undefined (a file in another encoding is not something we edit). */
export function decodeSource(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function encodeSource(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The line ending the file uses (the first one found), so inserted lines match it. */
export function eolOf(text: string): string {
  // No "\n" (-1) or one at the start: text[-2] and text[-1] are undefined, so "\n".
  return text[text.indexOf("\n") - 1] === "\r" ? "\r\n" : "\n";
}

export function lineStart(text: string, index: number): number {
  return text.lastIndexOf("\n", index - 1) + 1;
}

/** Index of the line break ending the line holding `index` (before "\r\n" or "\n"), or text.length. */
export function lineEnd(text: string, index: number): number {
  const nl = text.indexOf("\n", index);
  if (nl < 0) return text.length;
  return text[nl - 1] === "\r" ? nl - 1 : nl;
}

/** Index just past the line break ending the line holding `index`. */
export function nextLineStart(text: string, index: number): number {
  const nl = text.indexOf("\n", index);
  return nl < 0 ? text.length : nl + 1;
}

/** Leading whitespace of the line holding `index`. */
export function indentAt(text: string, index: number): string {
  const start = lineStart(text, index);
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

/**
 * Whitespace that lines text up under column `index` on its line: tabs kept, everything else a space.
 * Used for hanging-indent parameter lists such as `def f(a,\n      b):`.
 */
export function alignTo(text: string, index: number): string {
  return text.slice(lineStart(text, index), index).replace(/[^\t]/g, " ");
}

/** 1-based line number of `index`. */
export function lineNumber(text: string, index: number): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
