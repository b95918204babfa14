/**
 * An in-process fake AWS endpoint for unit tests of the code that calls AWS (src/aws): the SDK is pointed at
 * it through AWS_ENDPOINT_URL (as users point it at an emulator), and `answer` decides each reply. Every
 * request is recorded with its service (from the signature's credential scope), its action and its
 * parameters, so a test can check what was asked, in which order, with which input.
 */
import http from "node:http";

export interface FakeRequest {
  /** The signing name: sts, iam, cloudformation, organizations, ecs, ... */
  service: string;
  /** The operation: `Action=` of the query protocols, the `X-Amz-Target` suffix of the JSON ones. */
  action: string;
  /** Query-protocol parameters (`RoleName`, `Marker`, `Tags.member.1.Key`, ...). */
  params: URLSearchParams;
  /** JSON-protocol body. */
  json: Record<string, unknown>;
}

export interface FakeReply {
  status?: number;
  /** An XML body (query protocols) or an object sent as JSON (JSON protocols). */
  body: string | Record<string, unknown>;
}

/** A query-protocol (IAM, STS, CloudFormation) error reply. */
export function xmlError(code: string, message = "fake refusal", status = 400): FakeReply {
  return { status, body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>` };
}

/** A JSON-protocol (Organizations, ECS) error reply. */
export function jsonError(type: string, message = "fake refusal", status = 400): FakeReply {
  return { status, body: { __type: type, message } };
}

/** A query-protocol success: `<{action}Response><{action}Result>inner</...>`. */
export function xmlResult(action: string, inner: string): FakeReply {
  return { body: `<${action}Response><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>` };
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] as const;

/**
 * Runs `fn` with the SDK's default chain pointed at the fake (static keys, region us-east-1 unless `region`
 * is null, one attempt per call so a refusal is not retried), then restores the environment.
 */
export async function withFakeAws<T>(
  answer: (req: FakeRequest) => FakeReply | Promise<FakeReply>,
  fn: (requests: FakeRequest[]) => Promise<T>,
  options: { region?: string | null } = {},
): Promise<T> {
  const requests: FakeRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      void (async () => {
        const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ""));
        const target = String(req.headers["x-amz-target"] ?? "");
        const params = new URLSearchParams(target ? "" : body);
        const json = target && body ? (JSON.parse(body) as Record<string, unknown>) : {};
        const request: FakeRequest = { service: scope?.[1] ?? "", action: target ? target.split(".").pop() ?? "" : params.get("Action") ?? "", params, json };
        requests.push(request);
        let reply: FakeReply;
        try {
          reply = await answer(request);
        } catch (err) {
          reply = { status: 500, body: `fake endpoint: ${String(err)}` };
        }
        const isJson = typeof reply.body !== "string";
        res.writeHead(reply.status ?? 200, { "content-type": isJson ? "application/x-amz-json-1.1" : "text/xml" });
        res.end(isJson ? JSON.stringify(reply.body) : reply.body);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const saved = ENV.map((k) => process.env[k]);
  for (const k of ENV) delete process.env[k];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    AWS_ACCESS_KEY_ID: "AKIAFAKE",
    AWS_SECRET_ACCESS_KEY: "fake",
    AWS_MAX_ATTEMPTS: "1",
    // No shared files: the region and credentials come from here only.
    AWS_CONFIG_FILE: "/nonexistent/xaccount-fake-aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/xaccount-fake-aws-credentials",
  });
  if (options.region !== null) process.env.AWS_REGION = options.region ?? "us-east-1";
  try {
    return await fn(requests);
  } finally {
    ENV.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
