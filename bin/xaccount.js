#!/usr/bin/env node
// Shim: the CLI is written in TypeScript and built to dist/ by `npm run build`.

// `xaccount patch ... --diff | head` closes our stdout early: that is the reader's choice, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = await import("../dist/src/cli.js");
process.exitCode = await main(process.argv);
