/** `wharf manifest inspect` (the work, loaded when it runs, in manifest-run.ts). */
import type { Command } from "commander";

export interface ManifestInspectOptions {
  insecure?: boolean;
  verbose?: boolean;
}

export function registerManifest(program: Command): void {
  const manifest = program
    .command("manifest")
    .description("Manage Docker image manifests and manifest lists");
  manifest
    .command("inspect")
    .description("Display an image manifest, or manifest list")
    .argument("<name>", "MANIFEST_LIST or NAME[:TAG|@DIGEST]")
    .option("--insecure", "Allow communication with an insecure registry")
    .option("-v, --verbose", "Output additional info including layers and platform")
    .action(async (name: string, options: ManifestInspectOptions, command: Command) =>
      (await import("./manifest-run.ts")).runManifestInspect(name, options, command),
    );
}
