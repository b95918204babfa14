#!/usr/bin/env node
// Shim: the CLI is written in TypeScript and built to dist/ by `npm run build`.
import { main } from "../dist/src/cli.js";

process.exitCode = await main(process.argv);
