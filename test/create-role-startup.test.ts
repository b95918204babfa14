/**
 * The AWS SDK is imported lazily: `--help`, `create-role --help` and an offline `--dry-run` must not load
 * it (start-up cost for every command), while a run that talks to AWS does (proving the probe works).
 * The probe is a module-resolution hook that reports every `@aws-sdk/...` import.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "../src/version.js";

const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");
let dir: string;
let register: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "xaccount-startup-"));
  const hooks = path.join(dir, "hooks.mjs");
  writeFileSync(hooks, `export async function resolve(spec, ctx, next) {
  if (spec.startsWith("@aws-sdk/")) process._rawDebug("SDK-LOADED " + spec);
  return next(spec, ctx);
}\n`);
  register = path.join(dir, "register.mjs");
  writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sdkImports(args: string[]): { status: number | null; loaded: string[] } {
  const r = spawnSync(process.execPath, ["--import", register, BIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, AWS_ENDPOINT_URL: "http://127.0.0.1:9", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x", AWS_REGION: "us-east-1", AWS_MAX_ATTEMPTS: "1" },
  });
  return { status: r.status, loaded: r.stderr.split("\n").filter((l) => l.startsWith("SDK-LOADED")) };
}

test("--help, create-role --help and an offline dry run load no AWS SDK module", () => {
  for (const args of [["--help"], ["create-role", "--help"], ["create-role", "--dry-run", "--trust-account", "111111111111"], ["create-role", "--trust-account", "bad"]]) {
    const r = sdkImports(args);
    assert.ok(r.status === 0 || r.status === 2, `${args.join(" ")}: exit ${r.status}`);
    assert.deepEqual(r.loaded, [], args.join(" "));
  }
});

test("a run that needs AWS does load the SDK (the probe sees it)", () => {
  const r = sdkImports(["create-role", "--trust-account", "111111111111"]);
  assert.equal(r.status, 1, "the endpoint is unreachable");
  assert.ok(r.loaded.some((l) => l.includes("@aws-sdk/client-sts")), r.loaded.join("\n"));
});
