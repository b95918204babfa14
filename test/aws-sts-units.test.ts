/**
 * The STS helpers (src/aws/sts.ts), the read-only calls of `xaccount test` (src/aws/readonly.ts) and the
 * SDK clients' settings (src/aws/clients.ts), in-process against a fake STS/ECS/CloudFormation endpoint
 * (test/helpers/fake-aws.ts): what AssumeRole is asked with, what is checked before asking, how a refusal
 * is explained, and every page of each listing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STSClient } from "@aws-sdk/client-sts";
import { XaError } from "../src/errors.js";
import { DEFAULT_ROLE_NAME, assumeRoleInAccount, callerIdentity, type AssumedRole } from "../src/aws/sts.js";
import { configuredRegion, listClusters, listStacks } from "../src/aws/readonly.js";
import { FALLBACK_REGION, iamClient, sdkClient, stsClient } from "../src/aws/clients.js";
import { jsonError, withFakeAws, xmlError, xmlResult, type FakeReply, type FakeRequest } from "./helpers/fake-aws.js";

const A = "123456789012";
const CALLER = `arn:aws:iam::${A}:user/alice`;

function sts(opts: { credentials?: boolean; expiration?: boolean; sessionArn?: string; refuse?: FakeReply; callerRefused?: boolean } = {}) {
  return (r: FakeRequest): FakeReply => {
    if (r.action === "GetCallerIdentity") {
      return opts.callerRefused ? xmlError("AccessDenied", "no", 403) : xmlResult("GetCallerIdentity", `<Arn>${CALLER}</Arn><UserId>AIDA1</UserId><Account>${A}</Account>`);
    }
    if (opts.refuse) return opts.refuse;
    const creds = opts.credentials === false ? "" :
      `<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>${opts.expiration === false ? "" : "<Expiration>2099-01-01T00:00:00Z</Expiration>"}</Credentials>`;
    const user = opts.sessionArn === undefined ? "" : `<AssumedRoleUser><Arn>${opts.sessionArn}</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>`;
    return xmlResult("AssumeRole", creds + user);
  };
}

test("callerIdentity: the account, ARN and user id STS reports", async () => {
  await withFakeAws(sts(), async (requests) => {
    assert.deepEqual(await callerIdentity({}), { account: A, arn: CALLER, userId: "AIDA1" });
    assert.equal(requests[0]?.service, "sts");
  });
  await withFakeAws(() => xmlResult("GetCallerIdentity", ""), async () => {
    assert.deepEqual(await callerIdentity({}), { account: "", arn: "", userId: "" });
  });
  await withFakeAws(() => xmlError("InvalidClientTokenId", "bad key", 403), async () => {
    await assert.rejects(callerIdentity({ profile: undefined }), (e: unknown) => e instanceof XaError && e.code === "aws-credentials");
  });
  await withFakeAws(() => xmlError("AccessDenied", "no", 403), async () => {
    await assert.rejects(callerIdentity({}), (e: unknown) => e instanceof XaError && e.message === "the current credentials may not call sts:GetCallerIdentity on the caller");
  });
});

test("assumeRoleInAccount: the role's ARN in the region's partition, the session name, duration and external id asked", async () => {
  await withFakeAws(sts({ sessionArn: `arn:aws:sts::${A}:assumed-role/McpReadOnlyRole/s` }), async (requests) => {
    const r = await assumeRoleInAccount({ accountId: A, externalId: "ext-1", sessionName: "my session/1", durationSeconds: 3600, region: "eu-west-1" });
    const p = requests.find((q) => q.action === "AssumeRole")!.params;
    assert.equal(p.get("RoleArn"), `arn:aws:iam::${A}:role/McpReadOnlyRole`);
    assert.equal(p.get("RoleSessionName"), "my-session-1");
    assert.equal(p.get("DurationSeconds"), "3600");
    assert.equal(p.get("ExternalId"), "ext-1");
    assert.deepEqual(r, {
      accountId: A,
      roleArn: `arn:aws:iam::${A}:role/McpReadOnlyRole`,
      sessionArn: `arn:aws:sts::${A}:assumed-role/McpReadOnlyRole/s`,
      region: "eu-west-1",
      expiration: new Date("2099-01-01T00:00:00Z"),
      clientConfig: { region: "eu-west-1", credentials: { accessKeyId: "ASIA1", secretAccessKey: "secret", sessionToken: "token", expiration: new Date("2099-01-01T00:00:00Z") } },
    } satisfies AssumedRole);
    requests.length = 0;
    const cn = await assumeRoleInAccount({ accountId: A, roleName: "Other", region: "cn-north-1" });
    const q = requests.find((x) => x.action === "AssumeRole")!.params;
    assert.equal(q.get("RoleArn"), `arn:aws-cn:iam::${A}:role/Other`);
    assert.equal(q.get("DurationSeconds"), "900");
    assert.equal(q.get("ExternalId"), null);
    assert.equal(q.get("RoleSessionName"), `xaccount-${process.pid}`);
    assert.equal(cn.accountId, A);
    assert.equal(DEFAULT_ROLE_NAME, "McpReadOnlyRole");
  });
  // Session names: STS's characters, 64 at most, 2 at least.
  await withFakeAws(sts(), async (requests) => {
    const name = async (sessionName: string) => {
      requests.length = 0;
      await assumeRoleInAccount({ accountId: A, sessionName });
      return requests.find((x) => x.action === "AssumeRole")!.params.get("RoleSessionName");
    };
    assert.equal(await name("a"), "a-");
    assert.equal(await name("x".repeat(70)), "x".repeat(64));
    assert.equal(await name("A_z+0=,.@-é"), "A_z+0=,.@--");
    // No region given: the configured one is reported.
    const r = await assumeRoleInAccount({ accountId: A });
    assert.equal(r.region, "us-east-1");
    assert.equal(r.clientConfig.region, "us-east-1");
  });
  await withFakeAws(sts({ expiration: false }), async () => {
    const r = await assumeRoleInAccount({ accountId: A, region: "us-east-1" });
    assert.equal(r.expiration, undefined);
    assert.equal(r.sessionArn, "", "no session ARN in the answer");
    assert.equal("expiration" in r.clientConfig.credentials, false);
  });
});

test("assumeRoleInAccount: bad input refused before any call (exit 2), durations 900..43200 whole seconds", async () => {
  await withFakeAws(sts(), async (requests) => {
    const code = async (opts: Parameters<typeof assumeRoleInAccount>[0]) => {
      try {
        await assumeRoleInAccount(opts);
        return "ok";
      } catch (e) {
        return e instanceof XaError ? `${e.code}/${e.exitCode}` : String(e);
      }
    };
    assert.equal(await code({ accountId: "12345678901" }), "account-id-invalid/2");
    assert.equal(await code({ accountId: A, roleName: "bad name" }), "role-name-invalid/2");
    assert.equal(await code({ accountId: A, externalId: "x" }), "external-id-invalid/2");
    for (const d of [899, 43201, 900.5, Number.NaN, 0]) assert.equal(await code({ accountId: A, durationSeconds: d }), "duration-invalid/2", String(d));
    assert.equal(requests.length, 0);
    assert.equal(await code({ accountId: A, durationSeconds: 900 }), "ok");
    assert.equal(await code({ accountId: A, durationSeconds: 43200 }), "ok");
    assert.equal(await code({ accountId: A, externalId: "" }), "external-id-invalid/2", "an empty external id is not the absence of one");
    const message = async (opts: Parameters<typeof assumeRoleInAccount>[0]) => assumeRoleInAccount(opts).then(() => "", (e: Error) => e.message);
    assert.match(await message({ accountId: "12" }), /^account "12" is not/);
    assert.match(await message({ accountId: A, roleName: "bad name" }), /^role name "bad name" is not/);
  });
});

test("assumeRoleInAccount: a refusal names the role, the caller and the create-role fix; other errors are explained; no credentials is an error", async () => {
  await withFakeAws(sts({ refuse: xmlError("AccessDenied", "not authorized", 403) }), async () => {
    await assert.rejects(assumeRoleInAccount({ accountId: A, externalId: "ext-1" }), (e: unknown) => {
      assert.ok(e instanceof XaError);
      assert.equal(e.code, "assume-role-denied");
      assert.equal(e.exitCode, 1);
      assert.equal(e.message, `${CALLER} may not assume arn:aws:iam::${A}:role/McpReadOnlyRole with the given external id`);
      assert.match(e.hint ?? "", new RegExp(`--trust-principal ${CALLER} --external-id <id>`));
      return true;
    });
    await assert.rejects(assumeRoleInAccount({ accountId: A }), (e: unknown) => {
      assert.ok(e instanceof XaError);
      assert.equal(e.message, `${CALLER} may not assume arn:aws:iam::${A}:role/McpReadOnlyRole`);
      assert.doesNotMatch(e.hint ?? "", /--external-id/);
      return true;
    });
  });
  await withFakeAws(sts({ refuse: xmlError("AccessDenied", "not authorized", 403), callerRefused: true }), async () => {
    await assert.rejects(assumeRoleInAccount({ accountId: A }), (e: unknown) => e instanceof XaError && e.message.startsWith("the current credentials may not assume") && /--trust-principal <your ARN>/.test(e.hint ?? ""));
  });
  await withFakeAws(sts({ refuse: xmlError("RegionDisabledException", "STS is not activated in this region", 403) }), async () => {
    await assert.rejects(assumeRoleInAccount({ accountId: A }), (e: unknown) => e instanceof XaError && e.code === "aws-error" && e.message.includes("sts:AssumeRole on arn:aws:iam::"));
  });
  await withFakeAws(sts({ credentials: false }), async () => {
    await assert.rejects(assumeRoleInAccount({ accountId: A }), (e: unknown) => e instanceof XaError && e.code === "aws-error" && /returned no credentials/.test(e.message));
  });
});

const role: AssumedRole = {
  accountId: A, roleArn: `arn:aws:iam::${A}:role/R`, sessionArn: `arn:aws:sts::${A}:assumed-role/R/s`, region: "us-east-1", expiration: undefined,
  clientConfig: { region: "us-east-1", credentials: { accessKeyId: "ASIAROLE", secretAccessKey: "s", sessionToken: "t" } },
};

test("listClusters and listStacks: every page, with the role's credentials in the region asked; deleted stacks left out", async () => {
  const answer = (r: FakeRequest): FakeReply => {
    if (r.action === "ListClusters") {
      return r.json.nextToken ? { body: { clusterArns: ["arn:c2"] } } : { body: { clusterArns: ["arn:c1"], nextToken: "n1" } };
    }
    const token = r.params.get("NextToken");
    const member = (name: string, status: string) => `<member><StackName>${name}</StackName><StackId>id-${name}</StackId><StackStatus>${status}</StackStatus><CreationTime>2024-01-01T00:00:00Z</CreationTime></member>`;
    return token
      ? xmlResult("ListStacks", `<StackSummaries>${member("b", "UPDATE_COMPLETE")}<member><CreationTime>2024-01-01T00:00:00Z</CreationTime></member></StackSummaries>`)
      : xmlResult("ListStacks", `<StackSummaries>${member("a", "CREATE_COMPLETE")}${member("gone", "DELETE_COMPLETE")}</StackSummaries><NextToken>t1</NextToken>`);
  };
  await withFakeAws(answer, async (requests) => {
    assert.deepEqual(await listClusters("eu-west-1", role), ["arn:c1", "arn:c2"]);
    assert.deepEqual(await listStacks("eu-west-1", role), [
      { name: "a", id: "id-a", status: "CREATE_COMPLETE" },
      { name: "b", id: "id-b", status: "UPDATE_COMPLETE" },
      { name: "", id: "", status: "" },
    ]);
    assert.deepEqual(requests.map((r) => r.service), ["ecs", "ecs", "cloudformation", "cloudformation"]);
  });
  await withFakeAws(() => ({ body: {} }), async () => {
    assert.deepEqual(await listClusters("us-east-1", role), []);
  });
  await withFakeAws(() => xmlResult("ListStacks", ""), async () => {
    assert.deepEqual(await listStacks("us-east-1", role), []);
  });
});

test("listClusters and listStacks: a refusal names the action, the account and region, and the role session", async () => {
  await withFakeAws(() => jsonError("AccessDeniedException", "no"), async () => {
    await assert.rejects(listClusters("eu-west-1", role), (e: unknown) => e instanceof XaError && e.code === "aws-access-denied" &&
      e.message === `${role.sessionArn} may not call ecs:ListClusters on account ${A} eu-west-1`);
  });
  await withFakeAws(() => xmlError("AccessDenied", "no", 403), async () => {
    await assert.rejects(listStacks("eu-west-1", role), (e: unknown) => e instanceof XaError && e.message === `${role.sessionArn} may not call cloudformation:ListStacks on account ${A} eu-west-1`);
  });
});

test("SDK clients: the target's region, else the configured one, else the fallback; its profile and credentials; quiet; adaptive retries", async () => {
  await withFakeAws(async () => ({ body: "" }), async () => {
    const given = await sdkClient(STSClient, { region: "eu-west-1", credentials: { accessKeyId: "AKIAGIVEN", secretAccessKey: "s" } });
    assert.equal(await given.config.region(), "eu-west-1");
    assert.equal((await given.config.credentials()).accessKeyId, "AKIAGIVEN");
    const retryMode = given.config.retryMode;
    assert.equal(typeof retryMode === "function" ? await retryMode() : retryMode, "adaptive");
    assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, "true");
    for (const level of ["debug", "info", "warn", "error"] as const) assert.equal(given.config.logger[level]("x"), undefined);
    assert.notEqual(given.config.logger, console);
    given.destroy();
    const configured = await stsClient({});
    assert.equal(await configured.config.region(), "ap-south-1");
    configured.destroy();
    assert.equal(await configuredRegion(), "ap-south-1");
  }, { region: "ap-south-1" });
  await withFakeAws(async () => ({ body: "" }), async () => {
    const fallback = await iamClient({});
    assert.equal(await fallback.config.region(), FALLBACK_REGION);
    assert.equal(FALLBACK_REGION, "us-east-1");
    fallback.destroy();
    assert.equal(await configuredRegion(), undefined);
    // A profile the shared files do not have: no region from it either.
    assert.equal(await configuredRegion("no-such-profile"), undefined);
    const profiled = await sdkClient(STSClient, { profile: "no-such-profile", region: "eu-west-1" });
    assert.equal(profiled.config.profile, "no-such-profile");
    profiled.destroy();
  }, { region: null });
});

test("with --profile, the STS helpers say which profile's credentials AWS refused", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "xaccount-profile-"));
  try {
    writeFileSync(path.join(dir, "credentials"), "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n");
    writeFileSync(path.join(dir, "config"), "[profile dev]\nregion = us-east-1\n");
    const answer = (r: FakeRequest): FakeReply => (r.action === "GetCallerIdentity" ? xmlError("InvalidClientTokenId", "bad key", 403) : xmlError("ExpiredToken", "The security token included in the request is expired", 400));
    await withFakeAws(answer, async () => {
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
      process.env.AWS_CONFIG_FILE = path.join(dir, "config");
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      await assert.rejects(callerIdentity({ profile: "dev" }), (e: unknown) => e instanceof XaError && e.message === "AWS rejected the credentials (profile dev) (InvalidClientTokenId)");
      await assert.rejects(assumeRoleInAccount({ accountId: A, profile: "dev" }), (e: unknown) => e instanceof XaError && e.code === "aws-credentials" && e.message.startsWith("the credentials (profile dev) have expired"));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
