/**
 * The profile of any AWS Labs MCP server xaccount has no file for, built from the package's own
 * metadata (see src/codemod/detect.ts). Every tool gets `account_id`; the region stays the server's
 * own business (most AWS Labs servers take a `region` argument or read AWS_REGION), so a generic
 * profile adds no `region`. A server that needs more (extra parameters, hazards, tools that call no
 * AWS) gets a file of its own in codemods/, like ecs.ts, which then wins over this one.
 */
import type { ServerProfile } from "../src/codemod/profile.js";
import { shortName, type DetectedServer } from "../src/codemod/detect.js";

/** "aws-healthomics" -> "AWS HealthOmics"-ish title words: "Aws Healthomics" is good enough, but keep AWS upper. */
function titleWords(name: string): string {
  return name
    .split("-")
    .map((w) => (["aws", "mq", "iot", "sns", "sqs", "eks", "ecs", "iam", "dsql"].includes(w) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(" ");
}

export function genericProfile(server: DetectedServer): ServerProfile {
  const name = shortName(server.distribution);
  const from = server.source.kind === "dist-info" ? "its installed metadata (dist-info)" : "its pyproject.toml";
  return {
    name,
    title: `AWS Labs ${titleWords(name)} MCP server`,
    distribution: server.distribution,
    packagePath: server.packagePath,
    monorepoDir: server.distribution.replace(/^awslabs[._-]/i, ""),
    entryModule: server.entryModule,
    extraParams: ["account_id"],
    generic: { source: server.source.kind },
    notes: [
      `generic profile built from ${from}: every tool gets account_id; the region is the server's own (its region argument or AWS_REGION)`,
      "tools the server creates while it starts (from boto3 models or the account's resources) get account_id from the runtime at registration",
    ],
  };
}
