/**
 * Starts a server over MCP stdio with the official SDK's client, as an MCP host would, so the check
 * sees what a model would see: the listed tools with their input schemas, and real tool results.
 */
export interface McpTool {
  name: string;
  inputSchema: { properties?: Record<string, unknown>; required?: string[] };
}

export interface ToolResult {
  isError: boolean;
  /** The text content blocks, joined. */
  text: string;
  structured: unknown;
}

export interface McpSession {
  tools: McpTool[];
  call: (name: string, args: Record<string, unknown>) => Promise<ToolResult>;
  close: () => Promise<void>;
  /** The last lines the server wrote to stderr, to explain a failure. */
  stderrTail: () => string;
}

export interface ServerLaunch {
  python: string;
  module: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Instead of `-m <module>`: the whole argument list (e.g. `xaccount.js run ecs@0.1.37` with node as `python`). */
  args?: string[];
}

export async function startMcpServer(launch: ServerLaunch): Promise<McpSession> {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
  const transport = new StdioClientTransport({
    command: launch.python,
    args: launch.args ?? ["-m", launch.module],
    cwd: launch.cwd,
    env: launch.env,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const client = new Client({ name: "xaccount-test", version: "1" });
  // The SDK's transport closes stdin, then sends SIGTERM and SIGKILL to a server that does not exit.
  const close = async (): Promise<void> => {
    await client.close().catch(() => undefined);
  };
  try {
    await client.connect(transport, { timeout: launch.timeoutMs });
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: launch.timeoutMs });
      for (const t of page.tools) tools.push({ name: t.name, inputSchema: t.inputSchema as McpTool["inputSchema"] });
      cursor = page.nextCursor;
    } while (cursor);
    return {
      tools,
      close,
      stderrTail: () => stderr,
      call: async (name, args) => {
        const result = await client.callTool({ name, arguments: args }, undefined, { timeout: launch.timeoutMs });
        const content = Array.isArray(result.content) ? (result.content as Array<{ type: string; text?: string }>) : [];
        return {
          isError: Boolean(result.isError),
          text: content
            .filter((c) => c.type === "text")
            .map((c) => c.text ?? "")
            .join("\n"),
          structured: result.structuredContent,
        };
      },
    };
  } catch (err) {
    await close();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}${stderr ? `\nserver stderr (last lines):\n${lastLines(stderr, 12)}` : ""}`, { cause: err });
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}
