/**
 * The MCP clients `xaccount config` writes to: where each keeps its server list, per OS and scope, and
 * in what shape. A pure function of (client, scope, platform, environment, home, working directory),
 * so the table is tested for every OS on any OS. Locations are the ones each client documents:
 *
 * - Claude Desktop: claude_desktop_config.json in ~/Library/Application Support/Claude (macOS),
 *   %APPDATA%\Claude (Windows), $XDG_CONFIG_HOME/Claude or ~/.config/Claude (Linux builds); `mcpServers`.
 * - Claude Code: user scope ~/.claude.json (top-level `mcpServers`); project scope .mcp.json.
 * - Cursor: ~/.cursor/mcp.json; project .cursor/mcp.json; `mcpServers`.
 * - VS Code: the user profile's mcp.json (Code/User/mcp.json under the same folders as Claude Desktop's),
 *   project .vscode/mcp.json; `servers`, each with "type": "stdio"; JSON with comments.
 * - Kiro: ~/.kiro/settings/mcp.json; project .kiro/settings/mcp.json; `mcpServers`.
 * - Amazon Q Developer: ~/.aws/amazonq/mcp.json; project .amazonq/mcp.json; `mcpServers` (the files the
 *   IDE plugins read while useLegacyMcpJson is on, its default, and the Q CLI's mcp.json).
 */
import path from "node:path";
import { usageError } from "../errors.js";

export const CLIENTS = ["claude-desktop", "claude-code", "cursor", "vscode", "kiro", "amazon-q"] as const;
export type ClientId = (typeof CLIENTS)[number];
export type Scope = "user" | "project";

export interface ClientInfo {
  id: ClientId;
  title: string;
  /** The top-level key holding the servers. */
  serversKey: "mcpServers" | "servers";
  /** VS Code wants "type": "stdio" in each entry. */
  stdioType: boolean;
  scopes: readonly Scope[];
}

export const CLIENT_INFO: Readonly<Record<ClientId, ClientInfo>> = {
  "claude-desktop": { id: "claude-desktop", title: "Claude Desktop", serversKey: "mcpServers", stdioType: false, scopes: ["user"] },
  "claude-code": { id: "claude-code", title: "Claude Code", serversKey: "mcpServers", stdioType: false, scopes: ["user", "project"] },
  cursor: { id: "cursor", title: "Cursor", serversKey: "mcpServers", stdioType: false, scopes: ["user", "project"] },
  vscode: { id: "vscode", title: "VS Code", serversKey: "servers", stdioType: true, scopes: ["user", "project"] },
  kiro: { id: "kiro", title: "Kiro", serversKey: "mcpServers", stdioType: false, scopes: ["user", "project"] },
  "amazon-q": { id: "amazon-q", title: "Amazon Q Developer", serversKey: "mcpServers", stdioType: false, scopes: ["user", "project"] },
};

export interface Place {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  cwd: string;
}

export function clientInfo(name: string): ClientInfo {
  // Own keys only: "__proto__" or "constructor" must not find Object's.
  const info = (CLIENTS as readonly string[]).includes(name) ? CLIENT_INFO[name as ClientId] : undefined;
  if (!info) {
    throw usageError("config-client-unknown", `${JSON.stringify(name)} is not a client xaccount configures`, `use one of: ${CLIENTS.join(", ")} (or --print, or --config-file PATH with the client whose format the file has)`);
  }
  return info;
}

/** Where `client` keeps its servers for `scope`, on `place.platform`. */
export function configPath(client: ClientId, scope: Scope, place: Place): string {
  const info = CLIENT_INFO[client];
  if (!info.scopes.includes(scope)) {
    throw usageError("options-conflict", `${info.title} has no ${scope} configuration file`, `drop --scope ${scope}, or pass --config-file PATH`);
  }
  const p = place.platform === "win32" ? path.win32 : path.posix;
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v);
  // The folder desktop apps keep their settings in: Application Support, %APPDATA%, XDG config.
  const appData = (): string =>
    place.platform === "darwin"
      ? p.join(place.home, "Library", "Application Support")
      : place.platform === "win32"
        ? (nonEmpty(place.env.APPDATA) ?? p.join(place.home, "AppData", "Roaming"))
        : (nonEmpty(place.env.XDG_CONFIG_HOME) ?? p.join(place.home, ".config"));
  const project = (...parts: string[]): string => p.join(place.cwd, ...parts);
  switch (client) {
    case "claude-desktop":
      return p.join(appData(), "Claude", "claude_desktop_config.json");
    case "claude-code":
      return scope === "user" ? p.join(place.home, ".claude.json") : project(".mcp.json");
    case "cursor":
      return scope === "user" ? p.join(place.home, ".cursor", "mcp.json") : project(".cursor", "mcp.json");
    case "vscode":
      return scope === "user" ? p.join(appData(), "Code", "User", "mcp.json") : project(".vscode", "mcp.json");
    case "kiro":
      return scope === "user" ? p.join(place.home, ".kiro", "settings", "mcp.json") : project(".kiro", "settings", "mcp.json");
    case "amazon-q":
      return scope === "user" ? p.join(place.home, ".aws", "amazonq", "mcp.json") : project(".amazonq", "mcp.json");
  }
}
