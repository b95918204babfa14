import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { readFileSync } from "node:fs";
import { PACKAGE_ROOT } from "../src/version.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };

test("--version prints the package version", () => {
  assert.equal(execFileSync(process.execPath, [BIN, "--version"], { encoding: "utf8" }).trim(), pkg.version);
});

test("--help describes the tool and exits 0", () => {
  const out = execFileSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
  assert.match(out, /Usage: xaccount/);
  assert.match(out, /account_id/);
});

test("an unknown subcommand exits 2 with a message on stderr", () => {
  const r = spawnSync(process.execPath, [BIN, "no-such-command"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.notEqual(r.stderr.trim(), "");
});
