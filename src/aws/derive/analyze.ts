/**
 * What an installed server calls on AWS, read from its Python source with tree-sitter: the clients it
 * creates (`boto3.client("ecs")`, `session.client(...)`, the server's own wrappers such as
 * `get_aws_client("ecs")`), the methods called on them (directly, through a paginator or a waiter), and the
 * operation lists a tool dispatches on by name. Pure: source text in, call sites out; which IAM action a
 * call needs is decided with botocore's models (models.ts, actions.ts).
 *
 * Receivers are followed by name within a file (`ecs = await get_aws_client("ecs")` then `ecs.list_tasks()`,
 * also `self.cfn_client`); a receiver that cannot be followed (a client passed in from another module) is
 * attributed by its method name when exactly one service the server uses has that operation.
 */
import type { Node } from "../../codemod/parse.js";
import { parsePython } from "../../codemod/parse.js";

export interface SourceFile {
  /** Relative to the package, for reports. */
  path: string;
  text: string;
}

export interface CallSite {
  file: string;
  line: number;
}

/** A method called on something that may be a client. */
export interface MethodCall extends CallSite {
  /** Services the receiver was created for; undefined when the receiver could not be followed. */
  services: string[] | undefined;
  /** snake_case method (for get_paginator, the operation it pages). */
  method: string;
  /**
   * call: `client.describe_x(...)`; reference: `client.describe_x` passed as a function; by-name: a client
   * and the method's name given to a helper (`get_ec2_resource(ec2, "describe_vpcs")`, `getattr(client, "...")`).
   */
  kind: "call" | "reference" | "by-name" | "paginator" | "waiter";
}

/** An operation a tool dispatches on by name (e.g. the ECS resource-management tool's supported list). */
export interface DispatchedOperation extends CallSite {
  service: string;
  operation: string;
  list: string;
}

export interface DispatchList {
  /** The module-level variable holding the list of operation names. */
  variable: string;
  service: string;
  /** The server's own rule for which of them are read-only (the ECS tool: Describe*, List*). */
  readOnly: (operation: string) => boolean;
}

export interface AnalyzeOptions {
  /** Function names (last dotted part) that return a client for the service named by their first argument. */
  factories: readonly string[];
  dispatch: readonly DispatchList[];
}

export interface Analysis {
  /** Every service a client is created for with a literal name. */
  services: Set<string>;
  calls: MethodCall[];
  dispatched: DispatchedOperation[];
  /** Dispatched operations the server itself treats as writes, with where the list is. */
  dispatchedWrites: DispatchedOperation[];
}

function stringValue(node: Node | null | undefined): string | undefined {
  if (!node || node.type !== "string") return undefined;
  const parts = node.namedChildren.filter((c) => c.type === "string_content");
  if (node.namedChildren.some((c) => c.type === "interpolation")) return undefined;
  return parts.map((p) => p.text).join("");
}

function lastName(fn: Node): string | undefined {
  if (fn.type === "identifier") return fn.text;
  if (fn.type === "attribute") return fn.childForFieldName("attribute")?.text;
  return undefined;
}

/** The service a client-creating call names, or undefined when `call` creates no client we can name. */
function createdService(call: Node, factories: readonly string[]): string | undefined {
  const fn = call.childForFieldName("function");
  const name = fn && lastName(fn);
  if (!name || !(name === "client" || factories.includes(name))) return undefined;
  const args = call.childForFieldName("arguments");
  if (!args) return undefined;
  const first = args.namedChildren[0];
  const literal = stringValue(first);
  if (literal !== undefined) return literal;
  for (const a of args.namedChildren) {
    if (a.type === "keyword_argument" && a.childForFieldName("name")?.text === "service_name") return stringValue(a.childForFieldName("value"));
  }
  return undefined;
}

function descendants(node: Node, type: string): Node[] {
  return node.descendantsOfType(type);
}

/** Services of every client-creating call inside `node` (an assignment's right side, a receiver). */
function servicesIn(node: Node, factories: readonly string[]): string[] {
  const calls = node.type === "call" ? [node, ...descendants(node, "call")] : descendants(node, "call");
  return [...new Set(calls.map((c) => createdService(c, factories)).filter((s): s is string => s !== undefined))];
}

export function analyze(files: readonly SourceFile[], opts: AnalyzeOptions): Analysis {
  const out: Analysis = { services: new Set(), calls: [], dispatched: [], dispatchedWrites: [] };
  for (const file of files) {
    const root = parsePython(file.text).rootNode;
    const names = new Map<string, Set<string>>();
    for (const call of descendants(root, "call")) {
      const s = createdService(call, opts.factories);
      if (s !== undefined) out.services.add(s);
    }
    for (const assign of descendants(root, "assignment")) {
      const left = assign.childForFieldName("left");
      const right = assign.childForFieldName("right");
      if (!left || !right) continue;
      const services = servicesIn(right, opts.factories);
      if (services.length) {
        const set = names.get(left.text) ?? new Set<string>();
        for (const s of services) set.add(s);
        names.set(left.text, set);
      }
      const list = opts.dispatch.find((d) => d.variable === left.text);
      if (list && (right.type === "list" || right.type === "tuple" || right.type === "set")) {
        for (const item of right.namedChildren) {
          const op = stringValue(item);
          if (op === undefined) continue;
          const site = { file: file.path, line: item.startPosition.row + 1, service: list.service, operation: op, list: list.variable };
          (list.readOnly(op) ? out.dispatched : out.dispatchedWrites).push(site);
        }
      }
    }
    const followed = (receiver: Node): string[] | undefined => {
      const inline = servicesIn(receiver, opts.factories);
      if (inline.length) return inline;
      const named = names.get(receiver.text);
      return named ? [...named] : undefined;
    };
    for (const attr of descendants(root, "attribute")) {
      const parent = attr.parent;
      if (parent?.type === "call" && parent.childForFieldName("function")?.id === attr.id) continue;
      const receiver = attr.childForFieldName("object");
      const method = attr.childForFieldName("attribute")?.text;
      const services = receiver && followed(receiver);
      if (method && services) out.calls.push({ file: file.path, line: attr.startPosition.row + 1, services, method, kind: "reference" });
    }
    for (const call of descendants(root, "call")) {
      const args = call.childForFieldName("arguments")?.namedChildren ?? [];
      const clientArgs = args.map(followed).filter((s): s is string[] => s !== undefined);
      if (clientArgs.length) {
        for (const a of args) {
          const name = stringValue(a);
          if (name !== undefined && /^[a-z][a-z0-9_]*$/.test(name)) {
            out.calls.push({ file: file.path, line: a.startPosition.row + 1, services: [...new Set(clientArgs.flat())], method: name, kind: "by-name" });
          }
        }
      }
      const fn = call.childForFieldName("function");
      if (fn?.type !== "attribute") continue;
      const receiver = fn.childForFieldName("object");
      const method = fn.childForFieldName("attribute")?.text;
      if (!receiver || !method) continue;
      const services = followed(receiver);
      const line = call.startPosition.row + 1;
      if (method === "get_paginator" || method === "get_waiter") {
        const target = stringValue(call.childForFieldName("arguments")?.namedChildren[0]);
        if (target !== undefined) out.calls.push({ file: file.path, line, services, method: target, kind: method === "get_paginator" ? "paginator" : "waiter" });
        continue;
      }
      out.calls.push({ file: file.path, line, services, method, kind: "call" });
    }
  }
  return out;
}
