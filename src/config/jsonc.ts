/**
 * A JSON-with-comments reader that keeps where everything is, so an edit can replace one value and leave
 * every other byte of a user's file as it was (their comments, order, indentation, line endings).
 * MCP client files are JSON, except VS Code's mcp.json, which is JSONC (comments, trailing commas):
 * this reads both. Errors are values: a position and what was expected.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonMember {
  key: string;
  /** Offset of the key's opening quote. */
  keyStart: number;
  value: JsonNode;
}

export interface JsonNode {
  kind: "object" | "array" | "string" | "number" | "literal";
  /** [start, end) in the text. */
  start: number;
  end: number;
  value: JsonValue;
  /** Objects only, in file order (a repeated key appears twice). */
  members?: JsonMember[];
}

export interface JsonSyntaxError {
  offset: number;
  line: number;
  column: number;
  message: string;
}

export type ParseResult = { ok: true; root: JsonNode } | { ok: false; error: JsonSyntaxError };

export function parseJsonc(text: string): ParseResult {
  const p = new Parser(text);
  try {
    p.skip();
    const root = p.value();
    p.skip();
    if (p.pos < text.length) p.fail("expected the end of the file");
    return { ok: true, root };
  } catch (err) {
    if (err instanceof SyntaxFailure) return { ok: false, error: locate(text, err.offset, err.message) };
    throw err;
  }
}

class SyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

function locate(text: string, offset: number, message: string): JsonSyntaxError {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return { offset, line, column, message };
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// JSON's string: no raw control characters, only JSON's escapes.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON forbids in strings
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new SyntaxFailure(at, message);
  }

  /** Whitespace and comments. */
  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") this.pos++;
      else if (c === "/" && t[this.pos + 1] === "/") {
        const nl = t.indexOf("\n", this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else if (c === "/" && t[this.pos + 1] === "*") {
        const close = t.indexOf("*/", this.pos + 2);
        if (close < 0) this.fail("a /* comment is not closed");
        this.pos = close + 2;
      } else return;
    }
  }

  value(): JsonNode {
    const t = this.text;
    const start = this.pos;
    const c = t[start];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') {
      const s = this.string();
      return { kind: "string", start, end: this.pos, value: s };
    }
    NUMBER.lastIndex = start;
    const num = NUMBER.exec(t);
    if (num) {
      this.pos = start + num[0].length;
      return { kind: "number", start, end: this.pos, value: Number(num[0]) };
    }
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (t.startsWith(word, start)) {
        this.pos = start + word.length;
        return { kind: "literal", start, end: this.pos, value };
      }
    }
    return this.fail(c === undefined ? "the file ends where a value was expected" : `expected a value, found ${JSON.stringify(c)}`);
  }

  string(): string {
    STRING.lastIndex = this.pos;
    const m = STRING.exec(this.text);
    if (!m) this.fail("a string is not closed or has a bad escape or a raw control character");
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  object(): JsonNode {
    const start = this.pos++;
    const members: JsonMember[] = [];
    const value: { [key: string]: JsonValue } = {};
    this.skip();
    while (this.text[this.pos] !== "}") {
      if (this.text[this.pos] !== '"') this.fail(members.length ? "expected a key in double quotes or '}'" : "expected a key in double quotes or '}'");
      const keyStart = this.pos;
      const key = this.string();
      this.skip();
      if (this.text[this.pos] !== ":") this.fail("expected ':' after a key");
      this.pos++;
      this.skip();
      const v = this.value();
      members.push({ key, keyStart, value: v });
      // Like JSON.parse, the last of a repeated key wins; the editor refuses the keys it needs twice.
      Object.defineProperty(value, key, { value: v.value, enumerable: true, writable: true, configurable: true });
      this.skip();
      if (this.text[this.pos] === ",") {
        this.pos++;
        this.skip(); // a trailing comma before '}' is allowed (JSONC)
      } else if (this.text[this.pos] !== "}") this.fail("expected ',' or '}'");
    }
    this.pos++;
    return { kind: "object", start, end: this.pos, value, members };
  }

  array(): JsonNode {
    const start = this.pos++;
    const items: JsonValue[] = [];
    this.skip();
    while (this.text[this.pos] !== "]") {
      items.push(this.value().value);
      this.skip();
      if (this.text[this.pos] === ",") {
        this.pos++;
        this.skip();
      } else if (this.text[this.pos] !== "]") this.fail("expected ',' or ']'");
    }
    this.pos++;
    return { kind: "array", start, end: this.pos, value: items };
  }
}

export function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const bo = b as { [key: string]: JsonValue };
  const ao = a as { [key: string]: JsonValue };
  return ka.length === Object.keys(bo).length && ka.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && deepEqual(ao[k], bo[k]));
}
