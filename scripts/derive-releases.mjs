// Regenerates src/aws/derive/releases.ts: the read actions of the newest server releases the project tests,
// derived from the installed servers in .cache/servers (the test suite installs them). Run after
// `npm run build`:  node scripts/derive-releases.mjs
// test/python/test_real_servers.py fails when this data and a fresh derivation of the same release differ.
import { writeFileSync } from "node:fs";
import process from "node:process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deriveFromServer } from "../dist/src/aws/derive/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RELEASES = { ecs: "awslabs.ecs-mcp-server-0.1.37", iac: "awslabs.aws-iac-mcp-server-1.0.26" };
const data = {};
for (const [kind, dir] of Object.entries(RELEASES)) data[kind] = deriveFromServer(kind, path.join(root, ".cache", "servers", dir));
const text = `/**
 * The read actions of the newest releases the project tests, derived from their code by
 * \`node scripts/derive-releases.mjs\` (do not edit by hand). \`create-role --server ecs\` / \`iac\` use these;
 * \`--server ecs:<path>\` derives from the installed server instead.
 */
import type { Derivation } from "./actions.js";

export const RELEASES: Record<"ecs" | "iac", Derivation> = ${JSON.stringify(data, null, 2)};
`;
writeFileSync(path.join(root, "src", "aws", "derive", "releases.ts"), text);
for (const [kind, d] of Object.entries(data)) process.stdout.write(`${kind} ${d.version}: ${d.actions.length} actions, ${d.excluded.length} excluded\n`);
