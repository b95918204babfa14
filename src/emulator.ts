/**
 * Starts moto's server (the AWS emulator) on a free loopback port, and stops it even when the caller
 * fails. Used by the tests (test/helpers/moto.ts) and by the demo; everything reaches it through
 * AWS_ENDPOINT_URL, as users would.
 *
 * IAM is enforced by default (moto's INITIAL_NO_AUTH_ACTION_COUNT=0): every request must be signed by a
 * key moto knows and be allowed by that identity's policies, as in real AWS. How moto 5.2 decides:
 * - keys from iam:CreateAccessKey belong to the account they were made in; keys from sts:AssumeRole to
 *   the account in the role ARN, and carry that role's policies (inline and attached);
 * - the action checked is `<signing name>:<Operation>` (e.g. `elasticloadbalancing:DescribeTargetHealth`);
 *   Resource and most Conditions are not evaluated; sts:GetCallerIdentity is always allowed;
 * - sts:AssumeRole needs an Allow in the caller's own policies; the role's trust policy is checked (exact
 *   principal ARN, sts:ExternalId condition) only when caller and role are in the same account.
 * So the only unauthenticated requests are `bootstrap`'s, which opens the door (moto's reset-auth API),
 * makes the identities a test needs, and closes it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Moto {
  endpoint: string;
  /**
   * Environment for a child process or SDK client talking to the emulator with dummy credentials. Under
   * enforcement those credentials are refused (as unknown keys are by AWS): use a bootstrapped identity's.
   */
  env: Record<string, string>;
  /** True unless started with `permissive`. */
  enforcing: boolean;
  stop: () => Promise<void>;
  /** Wipes every account's resources and identities (moto's reset API); enforcement stays as it was. */
  reset: () => Promise<void>;
  /** Makes IAM users with access keys and inline policies, with enforcement off only while it runs. */
  bootstrap: (users: readonly UserSpec[]) => Promise<Identity[]>;
}

/** An IAM user to make: in which account, its name, and the actions its one inline policy allows. */
export interface UserSpec {
  account: string;
  name: string;
  /** `["*"]` for an administrator. */
  actions: readonly string[];
}

export interface Identity {
  account: string;
  name: string;
  arn: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY plus the emulator's endpoint and region. */
  env: Record<string, string>;
}

/** moto's default account: where keys it does not know would land if it did not enforce. */
export const MOTO_DEFAULT_ACCOUNT = "123456789012";

/** Every action, for a bootstrapped administrator. */
export const ADMIN: readonly string[] = ["*"];

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

export interface MotoOptions {
  /** Extra settings for the emulator process. */
  env?: Record<string, string>;
  /**
   * Why this emulator lets every request through. Only for what enforcement cannot express (say why in one
   * line, e.g. "counts requests of dummy keys"); absent means IAM is enforced.
   */
  permissive?: string;
}

/**
 * `python -m moto.server`, except that the server dies with the process that started it. `stop()` is
 * not called when that process is killed (a test file stopped at its first failure by a mutation run,
 * a demo interrupted with kill -9), and an orphaned moto server never exits: it holds 200 MB and its
 * port until the machine restarts. Linux's PR_SET_PDEATHSIG (prctl option 1) sends SIGTERM when the parent
 * dies; the parent id check covers a parent that died before prctl ran. Elsewhere (no prctl) it is plain
 * `-m moto.server`.
 */
const MOTO_LAUNCHER = `
import os, runpy, signal, sys
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)
except (OSError, AttributeError):
    pass
if str(os.getppid()) != os.environ.pop("XACCOUNT_MOTO_PARENT", str(os.getppid())):
    sys.exit(0)
sys.argv[0] = "moto.server"
runpy.run_module("moto.server", run_name="__main__", alter_sys=True)
`;

/** `python` must have `moto[server]` installed. */
export async function startMoto(python: string, options: MotoOptions = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const recording = path.join(tmpdir(), `xaccount-moto-${process.pid}-${port}.jsonl`);
  // moto's log goes to a file, not a pipe: a pipe is drained only while this process's event loop runs, so
  // a caller blocked in spawnSync (a CLI run next to the emulator) would let it fill and freeze moto.
  const logFile = path.join(tmpdir(), `xaccount-moto-${process.pid}-${port}.log`);
  const logFd = openSync(logFile, "w");
  const child: ChildProcess = spawn(python, ["-c", MOTO_LAUNCHER, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", logFd],
    // Recording on (tests count requests at the emulator), into a file of this server's own rather
    // than ./moto_recording, which every server would share and leave behind.
    env: {
      ...process.env,
      XACCOUNT_MOTO_PARENT: String(process.pid),
      MOTO_ENABLE_RECORDING: "True",
      MOTO_RECORDER_FILEPATH: recording,
      INITIAL_NO_AUTH_ACTION_COUNT: options.permissive === undefined ? "0" : "inf",
      ...options.env,
    },
  });
  closeSync(logFd); // the child has its own handle
  const logTail = (): string => {
    try {
      return readFileSync(logFile, "utf8").slice(-4000);
    } catch {
      return "";
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    }
    rmSync(recording, { force: true });
    rmSync(logFile, { force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto server exited early:\n${logTail()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server did not answer on ${endpoint} within 30 s:\n${logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const env = { ...DUMMY_CREDENTIALS, AWS_ENDPOINT_URL: endpoint };
  const enforcing = options.permissive === undefined && options.env?.INITIAL_NO_AUTH_ACTION_COUNT === undefined;
  return {
    endpoint,
    env,
    enforcing,
    stop,
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    },
    bootstrap: (users) => bootstrap(endpoint, env, users, enforcing),
  };
}

/** moto's switch for INITIAL_NO_AUTH_ACTION_COUNT in server mode: "inf" lets everything through, "0" none. */
async function setAuth(endpoint: string, count: "inf" | "0"): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset-auth`, { method: "POST", body: count });
  if (!res.ok) throw new Error(`moto reset-auth ${count}: HTTP ${res.status}`);
}

async function bootstrap(endpoint: string, env: Record<string, string>, users: readonly UserSpec[], enforcing: boolean): Promise<Identity[]> {
  const { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } = await import("@aws-sdk/client-iam");
  const { STSClient, AssumeRoleCommand } = await import("@aws-sdk/client-sts");
  const dummy = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  await setAuth(endpoint, "inf");
  try {
    const out: Identity[] = [];
    for (const u of users) {
      // Unknown keys land in moto's default account; keys of an assumed role land in the role's account.
      let credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = dummy;
      if (u.account !== MOTO_DEFAULT_ACCOUNT) {
        const sts = new STSClient({ region: "us-east-1", endpoint, credentials: dummy, logger: quiet });
        const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${u.account}:role/xaccount-bootstrap`, RoleSessionName: "bootstrap" }))).Credentials;
        sts.destroy();
        credentials = { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" };
      }
      const iam = new IAMClient({ region: "us-east-1", endpoint, credentials, logger: quiet });
      const user = (await iam.send(new CreateUserCommand({ UserName: u.name }))).User;
      await iam.send(new PutUserPolicyCommand({
        UserName: u.name,
        PolicyName: "bootstrap",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [...u.actions], Resource: "*" }] }),
      }));
      const key = (await iam.send(new CreateAccessKeyCommand({ UserName: u.name }))).AccessKey;
      iam.destroy();
      const keys = { accessKeyId: key?.AccessKeyId ?? "", secretAccessKey: key?.SecretAccessKey ?? "" };
      out.push({
        account: u.account,
        name: u.name,
        arn: user?.Arn ?? `arn:aws:iam::${u.account}:user/${u.name}`,
        credentials: keys,
        env: { ...env, AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey },
      });
    }
    return out;
  } finally {
    if (enforcing) await setAuth(endpoint, "0");
  }
}
