/**
 * The AWS Labs Billing and Cost Management MCP server (awslabs.billing-cost-management-mcp-server).
 * Eight of its tools already take an `account_id` of their own: the account an AWS billing API call
 * is *about* (the AccountId of Budgets, Invoicing, Credits, a linked-account filter), sent as a request
 * parameter, never the account the call runs in. The engine keeps them as they are (their meaning is
 * the server's): this file only says what each one means, so the patch reports it and --check accepts
 * it. Read from the tools' own docstrings in 0.0.42 (tools/*_tools.py).
 */
import type { ServerProfile } from "../src/codemod/profile.js";

const BUDGETS = "the AccountId the AWS Budgets API is asked about (the budgets' owner), the caller's own account (STS) when omitted";

export const billingCostManagement: ServerProfile = {
  name: "billing-cost-management",
  title: "AWS Labs Billing and Cost Management MCP server",
  distribution: "awslabs.billing-cost-management-mcp-server",
  packagePath: "awslabs/billing_cost_management_mcp_server",
  monorepoDir: "billing-cost-management-mcp-server",
  entryModule: "awslabs.billing_cost_management_mcp_server.server",
  extraParams: ["account_id"],
  notes: [
    "8 tools keep their own account_id (a billing API parameter: whose budgets, invoices, credits, which linked account): they run in the server's own account, usually the payer (management) account",
  ],
  ownAccountId: {
    budgets: BUDGETS,
    "budget-actions": `${BUDGETS}, for its budget actions`,
    "budget-notifications": `${BUDGETS}, for its notifications`,
    "cost-optimization":
      "list_enrollment_statuses only: the account whose Cost Optimization Hub enrollment status is returned, the caller's when omitted",
    credits: "the AccountId whose credits the Billing credits API lists, the caller's (STS) when omitted",
    "enterprise-support": "a filter to one linked account inside the payer's Support profile (list_linked_account_charges only); never inferred",
    invoicing: "the AccountId whose invoice summaries the Invoicing API lists, the caller's (STS) when omitted",
    "sp-purchase-analyzer": "the AccountId a Savings Plans purchase analysis is for (Cost Explorer's analysis configuration), with account_scope LINKED",
  },
};
