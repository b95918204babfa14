/**
 * Starting the cached server as the MCP client's child: stdin, stdout and stderr are the client's own
 * (inherited, not piped through us), signals we get are passed on, and its exit code becomes ours.
 */
import { spawn } from "node:child_process";

export interface Launch {
  python: string;
  module: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** Resolves with the exit code to use, or with the signal that ended the server. */
export function launch(l: Launch): Promise<{ code: number; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(l.python, ["-m", l.module, ...l.args], { stdio: "inherit", env: l.env });
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const sig of FORWARDED) {
      const h = (): void => {
        child.kill(sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
    const done = (): void => {
      for (const [sig, h] of handlers) process.off(sig, h);
    };
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("exit", (code, signal) => {
      done();
      resolve({ code: code ?? 128 + signalNumber(signal), signal });
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const n: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return (signal && n[signal]) ?? 1;
}
