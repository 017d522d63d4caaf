import type { Command } from "commander";
import { defaultPlatform, formatPlatform } from "../../oci/platform.ts";
import { WHARF_VERSION } from "../../version.ts";

export function registerVersion(program: Command): void {
  program
    .command("version")
    .description("Show the wharf version information")
    .action(() => {
      process.stdout.write(
        `wharf version ${WHARF_VERSION}\n Node.js: ${process.version}\n OS/Arch: ${formatPlatform(defaultPlatform())}\n`,
      );
    });
}
