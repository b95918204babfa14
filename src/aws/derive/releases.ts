/**
 * The read actions of the newest releases the project tests, derived from their code by
 * `node scripts/derive-releases.mjs` (do not edit by hand). `create-role --server ecs` / `iac` use these;
 * `--server ecs:<path>` derives from the installed server instead.
 */
import type { Derivation } from "./actions.js";

export const RELEASES: Record<"ecs" | "iac", Derivation> = {
  "ecs": {
    "server": "ecs",
    "version": "0.1.37",
    "actions": [
      {
        "action": "cloudformation:DescribeStackEvents",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 209,
            "via": "cloudformation.describe_stack_events()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_cloudformation_status.py",
            "line": 87,
            "via": "cloudformation.describe_stack_events()"
          }
        ]
      },
      {
        "action": "cloudformation:DescribeStacks",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/express.py",
            "line": 261,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/express.py",
            "line": 281,
            "via": "cloudformation get_waiter(\"stack_delete_complete\")"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 247,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 510,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 535,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 553,
            "via": "cloudformation get_waiter(\"stack_create_complete\")"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 558,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 654,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 699,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 201,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 321,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_cloudformation_status.py",
            "line": 61,
            "via": "cloudformation.describe_stacks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 344,
            "via": "cloudformation.describe_stacks()"
          }
        ]
      },
      {
        "action": "cloudformation:ListStackResources",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_cloudformation_status.py",
            "line": 68,
            "via": "cloudformation.list_stack_resources()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 306,
            "via": "cloudformation.list_stack_resources (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 496,
            "via": "cloudformation.list_stack_resources()"
          }
        ]
      },
      {
        "action": "cloudformation:ListStacks",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 281,
            "via": "cloudformation.list_stacks (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 284,
            "via": "cloudformation.list_stacks (passed as a function)"
          }
        ]
      },
      {
        "action": "ec2:DescribeInternetGateways",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 152,
            "via": "ec2 client with \"describe_internet_gateways\" (called by name)"
          }
        ]
      },
      {
        "action": "ec2:DescribeNatGateways",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 149,
            "via": "ec2 client with \"describe_nat_gateways\" (called by name)"
          }
        ]
      },
      {
        "action": "ec2:DescribeNetworkInterfaces",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 146,
            "via": "ec2 client with \"describe_network_interfaces\" (called by name)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 218,
            "via": "ec2.describe_network_interfaces (passed as a function)"
          }
        ]
      },
      {
        "action": "ec2:DescribeRouteTables",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 143,
            "via": "ec2 client with \"describe_route_tables\" (called by name)"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 124,
            "via": "ec2.describe_route_tables()"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 269,
            "via": "ec2.describe_route_tables()"
          }
        ]
      },
      {
        "action": "ec2:DescribeSecurityGroups",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 140,
            "via": "ec2 client with \"describe_security_groups\" (called by name)"
          }
        ]
      },
      {
        "action": "ec2:DescribeSubnets",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 138,
            "via": "ec2 client with \"describe_subnets\" (called by name)"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 108,
            "via": "ec2.describe_subnets()"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 117,
            "via": "ec2.describe_subnets()"
          }
        ]
      },
      {
        "action": "ec2:DescribeVpcs",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 109,
            "via": "ec2.describe_vpcs (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 137,
            "via": "ec2 client with \"describe_vpcs\" (called by name)"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 100,
            "via": "ec2.describe_vpcs()"
          }
        ]
      },
      {
        "action": "ecr:DescribeImages",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/get_ecs_troubleshooting_guidance.py",
            "line": 162,
            "via": "ecr.describe_images()"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 397,
            "via": "ecr.describe_images()"
          }
        ]
      },
      {
        "action": "ecr:DescribeRepositories",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/get_ecs_troubleshooting_guidance.py",
            "line": 157,
            "via": "ecr.describe_repositories()"
          },
          {
            "file": "awslabs/ecs_mcp_server/utils/aws.py",
            "line": 150,
            "via": "ecr.describe_repositories()"
          }
        ]
      },
      {
        "action": "ecr:ListImages",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
            "line": 452,
            "via": "ecr.list_images() (receiver not followed; the only service used with this method)"
          }
        ]
      },
      {
        "action": "ecs:DescribeCapacityProviders",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 74,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:DescribeClusters",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 75,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_failures.py",
            "line": 226,
            "via": "ecs.describe_clusters()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/get_ecs_troubleshooting_guidance.py",
            "line": 254,
            "via": "ecs.describe_clusters()"
          }
        ]
      },
      {
        "action": "ecs:DescribeContainerInstances",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 76,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:DescribeExpressGatewayService",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 77,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:DescribeServiceDeployments",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 78,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:DescribeServiceRevisions",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 79,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:DescribeServices",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 80,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 85,
            "via": "ecs.describe_services()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_service_events.py",
            "line": 203,
            "via": "ecs.describe_services()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/get_ecs_troubleshooting_guidance.py",
            "line": 304,
            "via": "ecs.describe_services()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/get_ecs_troubleshooting_guidance.py",
            "line": 314,
            "via": "ecs.describe_services()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 160,
            "via": "ecs.describe_services()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 399,
            "via": "ecs.describe_services()"
          }
        ]
      },
      {
        "action": "ecs:DescribeTaskDefinition",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 81,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 408,
            "via": "ecs.describe_task_definition()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 456,
            "via": "ecs.describe_task_definition()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 505,
            "via": "ecs.describe_task_definition()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 558,
            "via": "ecs.describe_task_definition()"
          }
        ]
      },
      {
        "action": "ecs:DescribeTasks",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/express.py",
            "line": 423,
            "via": "ecs.describe_tasks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 82,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 125,
            "via": "ecs.describe_tasks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 191,
            "via": "ecs.describe_tasks (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_failures.py",
            "line": 165,
            "via": "ecs.describe_tasks() (receiver not followed; the only service used with this method)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 449,
            "via": "ecs.describe_tasks()"
          }
        ]
      },
      {
        "action": "ecs:DescribeTaskSets",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 83,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListAccountSettings",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 87,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListAttributes",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 88,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListClusters",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 89,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 61,
            "via": "ecs get_paginator(\"list_clusters\")"
          }
        ]
      },
      {
        "action": "ecs:ListContainerInstances",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 90,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListServiceDeployments",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 92,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListServices",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 93,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 108,
            "via": "ecs get_paginator(\"list_services\")"
          }
        ]
      },
      {
        "action": "ecs:ListServicesByNamespace",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 94,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          }
        ]
      },
      {
        "action": "ecs:ListTagsForResource",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 95,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 327,
            "via": "ecs.list_tags_for_resource()"
          }
        ]
      },
      {
        "action": "ecs:ListTaskDefinitionFamilies",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 96,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 544,
            "via": "ecs.list_task_definition_families()"
          }
        ]
      },
      {
        "action": "ecs:ListTaskDefinitions",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 97,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 551,
            "via": "ecs.list_task_definitions()"
          }
        ]
      },
      {
        "action": "ecs:ListTasks",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/express.py",
            "line": 420,
            "via": "ecs.list_tasks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/resource_management.py",
            "line": 98,
            "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/status.py",
            "line": 121,
            "via": "ecs.list_tasks()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 182,
            "via": "ecs.list_tasks (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_failures.py",
            "line": 158,
            "via": "ecs.list_tasks() (receiver not followed; the only service used with this method)"
          }
        ]
      },
      {
        "action": "elasticloadbalancing:DescribeLoadBalancers",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 156,
            "via": "elbv2 client with \"describe_load_balancers\" (called by name)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_network_configuration.py",
            "line": 245,
            "via": "elbv2.describe_load_balancers (passed as a function)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 202,
            "via": "elbv2.describe_load_balancers()"
          }
        ]
      },
      {
        "action": "elasticloadbalancing:DescribeTargetGroups",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_service_events.py",
            "line": 108,
            "via": "elbv2.describe_target_groups() (receiver not followed; the only service used with this method)"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/utils.py",
            "line": 186,
            "via": "elbv2.describe_target_groups()"
          }
        ]
      },
      {
        "action": "elasticloadbalancing:DescribeTargetHealth",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_service_events.py",
            "line": 82,
            "via": "elbv2.describe_target_health() (receiver not followed; the only service used with this method)"
          }
        ]
      },
      {
        "action": "logs:DescribeLogGroups",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_logs.py",
            "line": 89,
            "via": "logs.describe_log_groups()"
          }
        ]
      },
      {
        "action": "logs:DescribeLogStreams",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_logs.py",
            "line": 108,
            "via": "logs.describe_log_streams()"
          },
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_logs.py",
            "line": 116,
            "via": "logs.describe_log_streams()"
          }
        ]
      },
      {
        "action": "logs:GetLogEvents",
        "sources": [
          {
            "file": "awslabs/ecs_mcp_server/api/troubleshooting_tools/fetch_task_logs.py",
            "line": 142,
            "via": "logs.get_log_events()"
          }
        ]
      }
    ],
    "excluded": [
      {
        "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
        "line": 541,
        "via": "cloudformation.create_stack()",
        "action": "cloudformation:CreateStack",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
        "line": 705,
        "via": "cloudformation.create_stack()",
        "action": "cloudformation:CreateStack",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/express.py",
        "line": 277,
        "via": "cloudformation.delete_stack()",
        "action": "cloudformation:DeleteStack",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
        "line": 518,
        "via": "cloudformation.update_stack()",
        "action": "cloudformation:UpdateStack",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/infrastructure.py",
        "line": 662,
        "via": "cloudformation.update_stack()",
        "action": "cloudformation:UpdateStack",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/aws.py",
        "line": 156,
        "via": "ecr.create_repository()",
        "action": "ecr:CreateRepository",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/aws.py",
        "line": 233,
        "via": "ecr.get_authorization_token()",
        "action": "ecr:GetAuthorizationToken",
        "reason": "issues a registry password (used to push images), not a read"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/docker.py",
        "line": 54,
        "via": "ecr.get_authorization_token()",
        "action": "ecr:GetAuthorizationToken",
        "reason": "issues a registry password (used to push images), not a read"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 59,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:CreateCapacityProvider",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 60,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:CreateCluster",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 61,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:CreateExpressGatewayService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 62,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:CreateService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 63,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:CreateTaskSet",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 64,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteAccountSetting",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 65,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteAttributes",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 66,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteCapacityProvider",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 67,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteCluster",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/express.py",
        "line": 223,
        "via": "ecs.delete_express_gateway_service()",
        "action": "ecs:DeleteExpressGatewayService",
        "reason": "not a read (a write, or an operation the role must not serve)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 68,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteExpressGatewayService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 69,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 70,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteTaskDefinitions",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 71,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeleteTaskSet",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 72,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeregisterContainerInstance",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 73,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DeregisterTaskDefinition",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 84,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:DiscoverPollEndpoint",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 85,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:ExecuteCommand",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 86,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:GetTaskProtection",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 91,
        "via": "SUPPORTED_ECS_OPERATIONS (read-only by the server's own rule)",
        "action": "ecs:ListExpressGatewayServices",
        "reason": "not an operation of ecs in the server's botocore (the tool fails before calling AWS)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 99,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:PutAccountSetting",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 100,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:PutAccountSettingDefault",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 101,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:PutAttributes",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 102,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:PutClusterCapacityProviders",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 103,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:RegisterContainerInstance",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 104,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:RegisterTaskDefinition",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 105,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:RunTask",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 106,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:StartTask",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 107,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:StopServiceDeployment",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 108,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:StopTask",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 109,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:SubmitAttachmentStateChanges",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 110,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:SubmitContainerStateChange",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 111,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:SubmitTaskStateChange",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 112,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:TagResource",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 113,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UntagResource",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 114,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateCapacityProvider",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 115,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateCluster",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 116,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateClusterSettings",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 117,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateContainerAgent",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 118,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateContainerInstancesState",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 119,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateExpressGatewayService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 120,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateService",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 121,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateServicePrimaryTaskSet",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 122,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateTaskProtection",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/api/resource_management.py",
        "line": 123,
        "via": "SUPPORTED_ECS_OPERATIONS",
        "action": "ecs:UpdateTaskSet",
        "reason": "the tool's write operation (the server needs ALLOW_WRITE)"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/aws.py",
        "line": 308,
        "via": "iam.get_role()",
        "action": "iam:GetRole",
        "reason": "nothing in iam is granted"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/aws.py",
        "line": 180,
        "via": "sts.assume_role()",
        "action": "sts:AssumeRole",
        "reason": "nothing in sts is granted"
      },
      {
        "file": "awslabs/ecs_mcp_server/utils/aws.py",
        "line": 79,
        "via": "sts.get_caller_identity()",
        "action": "sts:GetCallerIdentity",
        "reason": "nothing in sts is granted"
      }
    ]
  },
  "iac": {
    "server": "iac",
    "version": "1.0.26",
    "actions": [
      {
        "action": "cloudformation:DescribeEvents",
        "sources": [
          {
            "file": "awslabs/aws_iac_mcp_server/tools/cloudformation_deployment_troubleshooter.py",
            "line": 137,
            "via": "cloudformation.describe_events()"
          }
        ]
      },
      {
        "action": "cloudformation:DescribeStacks",
        "sources": [
          {
            "file": "awslabs/aws_iac_mcp_server/tools/cloudformation_deployment_troubleshooter.py",
            "line": 129,
            "via": "cloudformation.describe_stacks()"
          }
        ]
      },
      {
        "action": "cloudtrail:LookupEvents",
        "sources": [
          {
            "file": "awslabs/aws_iac_mcp_server/tools/cloudformation_deployment_troubleshooter.py",
            "line": 182,
            "via": "cloudtrail.lookup_events()"
          }
        ]
      }
    ],
    "excluded": []
  }
};
