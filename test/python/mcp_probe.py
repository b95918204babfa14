"""Talks to an MCP server over stdio with the official `mcp` client, as a real MCP host would.

Run with the python of the server's own venv (the client library there matches the server's era):
    python mcp_probe.py < request.json
request: {"command": str, "args": [str], "env": {str: str}, "cwd": str|null, "timeout": float,
          "calls": [{"name": str, "arguments": {...}}]}
stdout:  {"tools": [{"name": str, "inputSchema": {...}}],
          "calls": [{"name": str, "isError": bool, "text": str}]}
The server's stderr goes to the file named by the request's "stderr" (for diagnosis), or is discarded.
Only standard library + `mcp` imports: this file must work with every mcp version the servers pin.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


def _dump(model: Any) -> dict[str, Any]:
    # mcp 1.x and 2.x both use pydantic models whose JSON aliases are the protocol's field names.
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)  # type: ignore[no-any-return]


async def probe(request: dict[str, Any]) -> dict[str, Any]:
    params = StdioServerParameters(
        command=request["command"],
        args=request.get("args", []),
        env=request.get("env"),
        cwd=request.get("cwd"),
    )
    errlog_path = request.get("stderr") or os.devnull
    with open(errlog_path, "a", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = await session.list_tools()
                tools = [
                    {"name": tool["name"], "inputSchema": tool.get("inputSchema", {})}
                    for tool in (_dump(t) for t in listed.tools)
                ]
                calls = []
                for call in request.get("calls", []):
                    result = _dump(await session.call_tool(call["name"], call.get("arguments", {})))
                    text = "\n".join(part.get("text", "") for part in result.get("content", []))
                    calls.append({"name": call["name"], "isError": bool(result.get("isError")), "text": text})
    return {"tools": tools, "calls": calls}


def main() -> None:
    request = json.load(sys.stdin)
    result = asyncio.run(asyncio.wait_for(probe(request), timeout=request.get("timeout", 90)))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
