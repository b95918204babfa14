/** The AWS Labs IaC MCP server (awslabs.aws-iac-mcp-server). */
import type { ServerProfile } from "../src/codemod/profile.js";

export const iac: ServerProfile = {
  name: "iac",
  title: "AWS Labs IaC MCP server",
  distribution: "awslabs.aws-iac-mcp-server",
  packagePath: "awslabs/aws_iac_mcp_server",
  monorepoDir: "aws-iac-mcp-server",
  entryModule: "awslabs.aws_iac_mcp_server.server",
  // Tools that need a region already take one (troubleshoot_cloudformation_deployment).
  extraParams: ["account_id"],
  notes: [
    "server.py uses `from __future__ import annotations`; the runtime resolves the patched signatures for FastMCP",
    "read_iac_documentation_page is proxied from the remote AWS Knowledge MCP server and takes no account_id",
    "the search_* and cdk_* tools call the remote knowledge server, not AWS APIs: account_id changes nothing there",
  ],
};
