/**
 * Bundles the CLI (src/cli/main.ts) into dist/bin/: one entry and a chunk per lazily loaded command.
 * A process that resolves and reads ~200 module files (zod alone is ~130) spends 20-40 ms doing it;
 * the bundle loads a handful. The library entry points stay tsc's per-module output in dist/.
 *
 *   node scripts/bundle-cli.ts        (run by `npm run build`, after tsc)
 */
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const outdir = join(root, "dist", "bin");
const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { wharf: join(root, "src", "cli", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node22",
  chunkNames: "chunks/[name]-[hash]",
  // version.ts reads package.json relative to its own file, which a chunk is not beside.
  define: { __WHARF_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies (fastify, pino, ...) call require(): an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __wharfCreateRequire } from "node:module"; const require = __wharfCreateRequire(import.meta.url);',
  },
  // @cyclonedx/cyclonedx-library's XML serializer requires xmlbuilder2 if installed; wharf writes
  // JSON only, so the optional require stays a require (it is never reached).
  external: ["xmlbuilder2"],
  sourcemap: "linked",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});
chmodSync(join(outdir, "wharf.js"), 0o755);
