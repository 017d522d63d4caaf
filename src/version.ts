import { createRequire } from "node:module";

/** Set by the CLI bundle (scripts/bundle-cli.ts), whose chunks do not sit beside package.json. */
declare const __WHARF_VERSION__: string | undefined;

/** The package version: from the bundle's define, else package.json (one level above src/ and dist/). */
export const WHARF_VERSION: string =
  typeof __WHARF_VERSION__ === "string"
    ? __WHARF_VERSION__
    : (createRequire(import.meta.url)("../package.json") as { version: string }).version;
