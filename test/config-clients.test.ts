/** Where each client keeps its MCP servers, per OS and scope (src/config/clients.ts): a pure table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CLIENTS, CLIENT_INFO, clientInfo, configPath, type Place } from "../src/config/clients.js";
import { codeOf } from "./helpers/errors.js";

const mac: Place = { platform: "darwin", env: {}, home: "/Users/me", cwd: "/Users/me/proj" };
const linux: Place = { platform: "linux", env: {}, home: "/home/me", cwd: "/home/me/proj" };
const linuxXdg: Place = { ...linux, env: { XDG_CONFIG_HOME: "/home/me/.xdg" } };
const win: Place = { platform: "win32", env: { APPDATA: "C:\\Users\\me\\AppData\\Roaming" }, home: "C:\\Users\\me", cwd: "C:\\proj" };
const winNoAppData: Place = { ...win, env: {} };

test("user-scope files per OS", () => {
  const table: Record<string, [string, string, string, string]> = {
    // [macOS, Linux, Linux with XDG_CONFIG_HOME, Windows]
    "claude-desktop": [
      "/Users/me/Library/Application Support/Claude/claude_desktop_config.json",
      "/home/me/.config/Claude/claude_desktop_config.json",
      "/home/me/.xdg/Claude/claude_desktop_config.json",
      "C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json",
    ],
    "claude-code": ["/Users/me/.claude.json", "/home/me/.claude.json", "/home/me/.claude.json", "C:\\Users\\me\\.claude.json"],
    cursor: ["/Users/me/.cursor/mcp.json", "/home/me/.cursor/mcp.json", "/home/me/.cursor/mcp.json", "C:\\Users\\me\\.cursor\\mcp.json"],
    vscode: [
      "/Users/me/Library/Application Support/Code/User/mcp.json",
      "/home/me/.config/Code/User/mcp.json",
      "/home/me/.xdg/Code/User/mcp.json",
      "C:\\Users\\me\\AppData\\Roaming\\Code\\User\\mcp.json",
    ],
    kiro: ["/Users/me/.kiro/settings/mcp.json", "/home/me/.kiro/settings/mcp.json", "/home/me/.kiro/settings/mcp.json", "C:\\Users\\me\\.kiro\\settings\\mcp.json"],
    "amazon-q": ["/Users/me/.aws/amazonq/mcp.json", "/home/me/.aws/amazonq/mcp.json", "/home/me/.aws/amazonq/mcp.json", "C:\\Users\\me\\.aws\\amazonq\\mcp.json"],
  };
  assert.deepEqual(Object.keys(table).sort(), [...CLIENTS].sort());
  for (const [client, expected] of Object.entries(table)) {
    const got = [mac, linux, linuxXdg, win].map((place) => configPath(clientInfo(client).id, "user", place));
    assert.deepEqual(got, expected, client);
  }
  // Windows without APPDATA: the roaming folder under the home.
  assert.equal(configPath("claude-desktop", "user", winNoAppData), "C:\\Users\\me\\AppData\\Roaming\\Claude\\claude_desktop_config.json");
});

test("project-scope files are in the working directory; Claude Desktop has none", () => {
  assert.equal(configPath("claude-code", "project", linux), "/home/me/proj/.mcp.json");
  assert.equal(configPath("cursor", "project", linux), "/home/me/proj/.cursor/mcp.json");
  assert.equal(configPath("vscode", "project", win), "C:\\proj\\.vscode\\mcp.json");
  assert.equal(configPath("kiro", "project", mac), "/Users/me/proj/.kiro/settings/mcp.json");
  assert.equal(configPath("amazon-q", "project", linux), "/home/me/proj/.amazonq/mcp.json");
  assert.equal(codeOf(() => configPath("claude-desktop", "project", linux)), "options-conflict/2");
});

test("VS Code alone uses `servers` with type stdio; an unknown client is refused", () => {
  for (const c of CLIENTS) {
    assert.equal(CLIENT_INFO[c].serversKey, c === "vscode" ? "servers" : "mcpServers");
    assert.equal(CLIENT_INFO[c].stdioType, c === "vscode");
  }
  assert.equal(codeOf(() => clientInfo("windsurf")), "config-client-unknown/2");
  assert.equal(codeOf(() => clientInfo("__proto__")), "config-client-unknown/2");
});
