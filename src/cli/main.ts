#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: a pull streams hundreds of MB through short-lived Buffers whose weight
// V8 sees only as external memory; small, frequent scavenges free them early (peak RSS of a 115 MB
// pull: ~175 -> ~147 MB, same time; `wharf images` unchanged). `env -S` splits the flags (coreutils 8.30+).
// The compile cache (Node 22.1+) keeps V8's bytecode of wharf's modules between runs: faster start-up.
// A namespace import: a named one of enableCompileCache fails to link on an older Node, before the
// version check below could say what is wrong.
import * as nodeModule from "node:module";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`wharf needs Node.js 22.13 or later; this is ${process.version}\n`);
  process.exit(1);
}
nodeModule.enableCompileCache?.();
// The bundle's chunks import each other by "./NAME.js": resolved here as the URL beside the importer,
// without the default resolver's stat, realpath and package.json lookups (~5 ms of a build's start-up
// over its ~50 chunks). registerHooks is Node 22.15+; before that the default resolver does it all.
const bundleDir = new URL("./", import.meta.url).href;
nodeModule.registerHooks?.({
  resolve(specifier, context, next) {
    if (specifier.startsWith("./") && specifier.endsWith(".js") && context.parentURL?.startsWith(bundleDir)) {
      return { url: new URL(specifier, context.parentURL).href, format: "module", shortCircuit: true };
    }
    return next(specifier, context);
  },
});
const { run } = await import("./program.ts");
process.exitCode = await run(process.argv.slice(2));
