#!/usr/bin/env node
// The compile cache (Node 22.1+) keeps V8's bytecode of wharf's modules between runs: faster start-up.
import { enableCompileCache } from "node:module";

enableCompileCache?.();
const { run } = await import("./program.ts");
process.exitCode = await run(process.argv.slice(2));
