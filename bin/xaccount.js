#!/usr/bin/env node
// Shim: the CLI is written in TypeScript and built to dist/ by `npm run build`.

// `xaccount patch ... --diff | head` closes our stdout early: that is the reader's choice, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// The AWS SDK warns under Node 20 that its releases after January 2027 need Node 22: nothing to do with
// this run, and it would read as a failure among the output. Set once here, before any SDK client is
// made (`test` makes one outside src/aws/clients.ts to read the configured region); users can opt back in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// src/entry.ts loads `run` (started by MCP clients at every session) and `patch` alone, without every
// command and what they import; everything else loads the full CLI.
// A checkout that was never built has no dist/: say what to do instead of a module-not-found stack.
const cli = new URL("../dist/src/entry.js", import.meta.url);
const { existsSync } = await import("node:fs");
if (!existsSync(cli)) {
  process.stderr.write(
    `xaccount: error: this checkout has not been built (no dist/src/entry.js)\n` +
      "  hint: run npm run build (after npm ci) in " + new URL("..", import.meta.url).pathname + "\n",
  );
  process.exit(2);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv);
