/** The AWS Labs ECS MCP server (awslabs.ecs-mcp-server). */
import type { ServerProfile } from "../src/codemod/profile.js";

export const ecs: ServerProfile = {
  name: "ecs",
  title: "AWS Labs ECS MCP server",
  distribution: "awslabs.ecs-mcp-server",
  packagePath: "awslabs/ecs_mcp_server",
  monorepoDir: "ecs-mcp-server",
  entryModule: "awslabs.ecs_mcp_server.main",
  // ECS tools act on a region's resources, so a call may also pick its region.
  extraParams: ["account_id", "region"],
  // CloudFormation templates, no Python.
  skipDirs: ["templates"],
  notes: [
    "the server caches boto3 clients per service for the life of the process; the runtime redirects them per call",
    "the aws_knowledge_* tools come from a remote MCP server (mounted proxy) and take no account_id",
    "write operations still need ALLOW_WRITE=true, and the role in the target account must allow them",
  ],
};
