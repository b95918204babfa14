/**
 * The AWS Labs Amazon MQ MCP server (awslabs.amazon-mq-mcp-server). Most of its tools are generated
 * while it starts, one per operation of the boto3 `mq` model (AWSToolGenerator in
 * aws_service_mcp_generator.py): `self.mcp.tool(description=...)(func)` where `func` is a closure
 * built at run time, so the static patch cannot give them account_id. The runtime's start-up
 * registration hook does (it wraps FastMCP's Tool.from_function for the functions of the patched
 * package); that is proven on this server by test/python/test_server_matrix.py (every listed tool
 * has account_id and list_brokers with account_id answers from that account).
 */
import type { ServerProfile } from "../src/codemod/profile.js";

/** Why the generated registrations are correct without a static patch; printed by patch and --check. */
const GENERATED =
  "one tool per operation of the boto3 mq model, built while the server starts: the vendored runtime gives each account_id " +
  "when FastMCP registers it (start-up hook, proven on amazon-mq 2.1.1 by test/python/test_server_matrix.py)";

export const amazonMq: ServerProfile = {
  name: "amazon-mq",
  title: "AWS Labs Amazon MQ MCP server",
  distribution: "awslabs.amazon-mq-mcp-server",
  packagePath: "awslabs/amazon_mq_mcp_server",
  monorepoDir: "amazon-mq-mcp-server",
  entryModule: "awslabs.amazon_mq_mcp_server.server",
  extraParams: ["account_id"],
  notes: [
    "the tools generated from the boto3 mq model get account_id from the runtime while the server starts, not from the static patch",
    "the server opens boto3.Session(profile_name=AWS_PROFILE or 'default'): a [default] profile must exist where it runs",
  ],
  // Both registrations of AWSToolGenerator.__register_operations (plain operations and those with a
  // documentation override) are reported under the name of the variable they register.
  unpatchedTools: { func: GENERATED },
};
