/**
 * The role as a CloudFormation template, for rolling it out with a StackSet across an organisation instead
 * of running create-role per account. Same documents as create-role; the trust is baked in (a StackSet
 * deploys the same template everywhere, and the trusted principals are the central ones).
 */
import type { DesiredRole } from "./role.js";
import { desiredTags } from "./role.js";

export function roleTemplate(want: DesiredRole): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `${want.roleName}: ${want.description}. Deploy with CAPABILITY_NAMED_IAM (e.g. as a service-managed StackSet).`,
    Resources: {
      McpReadOnlyRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          RoleName: want.roleName,
          Description: want.description,
          AssumeRolePolicyDocument: want.trustPolicy,
          MaxSessionDuration: want.maxSessionDuration,
          Policies: [...want.policies].map(([PolicyName, PolicyDocument]) => ({ PolicyName, PolicyDocument })),
          Tags: Object.entries(desiredTags(want)).map(([Key, Value]) => ({ Key, Value })),
        },
      },
    },
    Outputs: {
      RoleArn: {
        Description: "The role the patched MCP servers assume in this account",
        Value: { "Fn::GetAtt": ["McpReadOnlyRole", "Arn"] },
      },
    },
  };
}
