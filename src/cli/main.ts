#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: a pull streams hundreds of MB through short-lived Buffers whose weight
// V8 sees only as external memory; small, frequent scavenges free them early (peak RSS of a 115 MB
// pull: ~175 -> ~147 MB, same time; `wharf images` unchanged). `env -S` splits the flags (coreutils 8.30+).
// The compile cache (Node 22.1+) keeps V8's bytecode of wharf's modules between runs: faster start-up.
import { enableCompileCache } from "node:module";

enableCompileCache?.();
const { run } = await import("./program.ts");
process.exitCode = await run(process.argv.slice(2));
