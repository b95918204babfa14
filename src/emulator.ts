/**
 * Starts moto's server (the AWS emulator) on a free loopback port, and stops it even when the caller
 * fails. Used by the tests (test/helpers/moto.ts) and by the demo; everything reaches it through
 * AWS_ENDPOINT_URL, as users would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Moto {
  endpoint: string;
  /** Environment for a child process or SDK client talking to the emulator with dummy credentials. */
  env: Record<string, string>;
  stop: () => Promise<void>;
  /** Wipes every account's resources (moto's reset API). */
  reset: () => Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Dummy credentials: moto accepts any, and they must never be real ones. */
export const DUMMY_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "testing",
  AWS_SECRET_ACCESS_KEY: "testing",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_REGION: "us-east-1",
};

/**
 * `python` must have `moto[server]` installed. `env`: extra settings for the emulator process, e.g.
 * INITIAL_NO_AUTH_ACTION_COUNT to make it enforce IAM policies.
 */
export async function startMoto(python: string, options: { env?: Record<string, string> } = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const recording = path.join(tmpdir(), `xaccount-moto-${process.pid}-${port}.jsonl`);
  const child: ChildProcess = spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    // Recording on (tests count requests at the emulator), into a file of this server's own rather
    // than ./moto_recording, which every server would share and leave behind.
    env: { ...process.env, MOTO_ENABLE_RECORDING: "True", MOTO_RECORDER_FILEPATH: recording, ...options.env },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    }
    rmSync(recording, { force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited early:\n${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server did not answer on ${endpoint} within 30 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    env: { ...DUMMY_CREDENTIALS, AWS_ENDPOINT_URL: endpoint },
    stop,
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    },
  };
}
