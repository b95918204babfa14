/**
 * Runs the built CLI as a user would, asynchronously: tests that also run the emulator in this process must
 * not block its event loop (a spawnSync would stall every request the CLI sends to it until it returns).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";

export const BIN = path.join(PACKAGE_ROOT, "bin", "xaccount.js");

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `xaccount <args>` with `env` over this process's environment, colour off. */
export function xaccount(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** `xaccount <args>` for the benchmarks: the milliseconds it took; a failed run throws with its output. */
export async function timedXaccount(args: string[], env: Record<string, string>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await xaccount(args, env);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`xaccount ${args.slice(0, 3).join(" ")} ... exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return ms;
}
