/** The pure text edit of `xaccount config` (src/config/merge.ts, src/config/jsonc.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mergeEntry } from "../src/config/merge.js";
import { parseJsonc } from "../src/config/jsonc.js";
import { codeOf } from "./helpers/errors.js";

const ENTRY = { command: "xaccount", args: ["run", "ecs@latest", "--accounts", "prod=111111111111"], env: { AWS_PROFILE: "host" } };
const NAME = "awslabs.ecs-mcp-server-xaccount";

function parsed(text: string): unknown {
  const r = parseJsonc(text);
  assert.ok(r.ok, text);
  return r.root.value;
}

test("no file, or a blank one: a new file with only the entry", () => {
  for (const before of [undefined, "", "  \n"]) {
    const r = mergeEntry(before, "mcpServers", NAME, ENTRY, "f");
    assert.equal(r.changed, true);
    assert.deepEqual(JSON.parse(r.text), { mcpServers: { [NAME]: ENTRY } });
  }
});

test("a new entry is inserted after the others; every byte before and after it is the file's own", () => {
  const before = '{\n    "mcpServers": {\n        "other": { "command": "uvx",  "args": ["x"] }\n    },\n    "globalShortcut": "Ctrl+Space"\n}\n';
  const r = mergeEntry(before, "mcpServers", NAME, ENTRY, "f");
  assert.equal(r.added, true);
  const cut = before.indexOf("}\n    },") + 1;
  assert.ok(r.text.startsWith(before.slice(0, cut)), r.text);
  assert.ok(r.text.endsWith(before.slice(cut)), r.text);
  // Indented like its neighbours (4 spaces per level here).
  assert.match(r.text, /\n {8}"awslabs\.ecs-mcp-server-xaccount": \{\n {12}"command": "xaccount",/);
  assert.deepEqual(parsed(r.text), { mcpServers: { other: { command: "uvx", args: ["x"] }, [NAME]: ENTRY }, globalShortcut: "Ctrl+Space" });
});

test("the same entry again changes nothing (idempotent), text identical", () => {
  const once = mergeEntry('{"mcpServers": {"a": {"command": "b"}}}', "mcpServers", NAME, ENTRY, "f").text;
  const twice = mergeEntry(once, "mcpServers", NAME, ENTRY, "f");
  assert.equal(twice.changed, false);
  assert.equal(twice.text, once);
});

test("an existing entry: ours (command, args, env, type) replaced, the user's keys kept, other entries untouched", () => {
  const before = '{\r\n  "mcpServers": {\r\n    "keep": {"command": "k"},\r\n    "' + NAME + '": {"command": "old", "env": {"AWS_PROFILE": "old", "X": "1"}, "disabled": false, "autoApprove": ["t"]}\r\n  }\r\n}\r\n';
  const r = mergeEntry(before, "mcpServers", NAME, { command: "xaccount", args: ["run", "ecs@1"] }, "f");
  assert.equal(r.added, false);
  assert.deepEqual((parsed(r.text) as { mcpServers: Record<string, unknown> }).mcpServers, {
    keep: { command: "k" },
    // env is ours: left out now, so removed; disabled/autoApprove are the user's.
    [NAME]: { command: "xaccount", disabled: false, autoApprove: ["t"], args: ["run", "ecs@1"] },
  });
  assert.ok(r.text.startsWith('{\r\n  "mcpServers": {\r\n    "keep": {"command": "k"},\r\n    "'), r.text);
  assert.ok(!/[^\r]\n/.test(r.text), "CRLF file stays CRLF");
});

test("VS Code's JSONC: comments and trailing commas are read and kept; the servers key is used", () => {
  const before = '// my servers\n{\n\t"servers": {\n\t\t/* a comment */\n\t\t"gh": {"type": "http", "url": "https://x"},\n\t},\n\t"inputs": [],\n}\n';
  const entry = { type: "stdio", ...ENTRY };
  const r = mergeEntry(before, "servers", NAME, entry, "f");
  assert.ok(r.text.includes("// my servers") && r.text.includes("/* a comment */"));
  assert.match(r.text, /\n\t\t"awslabs\.ecs-mcp-server-xaccount": \{\n\t\t\t"type": "stdio",/);
  assert.deepEqual((parsed(r.text) as { servers: Record<string, unknown> }).servers[NAME], entry);
  assert.equal(mergeEntry(r.text, "servers", NAME, entry, "f").changed, false);
});

test("a file without the servers key gets it; an empty servers object is laid out", () => {
  const a = mergeEntry('{\n  "theme": "dark"\n}', "mcpServers", NAME, ENTRY, "f");
  assert.deepEqual(parsed(a.text), { theme: "dark", mcpServers: { [NAME]: ENTRY } });
  assert.ok(a.text.startsWith('{\n  "theme": "dark",\n  "mcpServers": {\n    "awslabs'), a.text);
  const b = mergeEntry('{"mcpServers": {}}', "mcpServers", NAME, ENTRY, "f");
  assert.deepEqual(parsed(b.text), { mcpServers: { [NAME]: ENTRY } });
});

test("bad JSON and wrong shapes are config-file-invalid (exit 2), with the place in the message", () => {
  for (const bad of ['{"mcpServers": {', '{"a": 1,, }', "[1, 2]", '"x"', '{"mcpServers": []}', '{"mcpServers": {"' + NAME + '": "x"}}', '{"mcpServers": {}, "mcpServers": {}}', '{"a": "\u0001"}', "{} {}", "/* open"]) {
    assert.equal(codeOf(() => mergeEntry(bad, "mcpServers", NAME, ENTRY, "f")), "config-file-invalid/2", bad);
  }
  assert.throws(() => mergeEntry('{\n  "a": 1\n  "b": 2\n}', "mcpServers", NAME, ENTRY, "cfg.json"), /cfg\.json: expected ',' or '}' at line 3, column 3/);
});

test("the reader agrees with JSON.parse on plain JSON, including odd keys", () => {
  for (const text of ['{"__proto__": {"a": 1}, "b": [1, -2.5e3, true, null, "\\u00e9\\n"]}', "[]", "0", '{"a": {"b": {"c": []}}}']) {
    assert.deepEqual(parsed(text), JSON.parse(text), text);
  }
});

test("a byte-order mark and a file that is only a comment: the mark is kept; no value is refused", () => {
  const r = mergeEntry('\uFEFF{"mcpServers": {"a": {"command": "b"}}}\n', "mcpServers", NAME, ENTRY, "f");
  assert.ok(r.text.startsWith('\uFEFF{"mcpServers": {"a": {"command": "b"},'), r.text);
  assert.equal(codeOf(() => mergeEntry("// nothing yet\n", "mcpServers", NAME, ENTRY, "f")), "config-file-invalid/2");
});
