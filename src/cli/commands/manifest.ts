/**
 * `wharf manifest inspect|create|annotate|push|rm`, docker's manifest commands (the work, loaded
 * when it runs: inspect in manifest-run.ts, the local lists in manifest-list-run.ts, push in
 * manifest-push-run.ts).
 */
import type { Command } from "commander";
import type { ManifestInspectOptions } from "./manifest-run.ts";

export interface ManifestCreateOptions {
  amend?: boolean;
  insecure?: boolean;
}

export interface ManifestAnnotateOptions {
  os?: string;
  arch?: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
}

export interface ManifestPushOptions {
  purge?: boolean;
  insecure?: boolean;
}

/** pflag's StringSlice: repeatable, each value comma-separated. */
function stringSlice(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",")];
}

export function registerManifest(program: Command): void {
  const manifest = program
    .command("manifest")
    .description("Manage Docker image manifests and manifest lists");
  manifest
    .command("inspect")
    .description("Display an image manifest, or manifest list")
    .argument("<name>", "MANIFEST_LIST or NAME[:TAG|@DIGEST]")
    .argument("[manifest]", "with a local MANIFEST_LIST first: one of its images")
    .option("--insecure", "Allow communication with an insecure registry")
    .option("-v, --verbose", "Output additional info including layers and platform")
    .action(
      async (name: string, image: string | undefined, options: ManifestInspectOptions, command: Command) =>
        (await import("./manifest-run.ts")).runManifestInspect(name, image, options, command),
    );
  manifest
    .command("create")
    .description("Create a local manifest list for annotating and pushing to a registry")
    .argument("<list>", "MANIFEST_LIST")
    .argument("<manifests...>", "MANIFEST [MANIFEST...]")
    .option("-a, --amend", "Amend an existing manifest list")
    .option("--insecure", "Allow communication with an insecure registry")
    .action(async (list: string, images: string[], options: ManifestCreateOptions, command: Command) =>
      (await import("./manifest-list-run.ts")).runManifestCreate(list, images, options, command),
    );
  manifest
    .command("annotate")
    .description("Add additional information to a local image manifest")
    .argument("<list>", "MANIFEST_LIST")
    .argument("<manifest>", "MANIFEST")
    .option("--os <os>", "Set operating system")
    .option("--arch <arch>", "Set architecture")
    .option("--os-version <version>", "Set operating system version")
    .option("--os-features <features>", "Set operating system feature", stringSlice)
    .option("--variant <variant>", "Set architecture variant")
    .action(async (list: string, image: string, options: ManifestAnnotateOptions, command: Command) =>
      (await import("./manifest-list-run.ts")).runManifestAnnotate(list, image, options, command),
    );
  manifest
    .command("push")
    .description("Push a manifest list to a repository")
    .argument("<list>", "MANIFEST_LIST")
    .option("-p, --purge", "Remove the local manifest list after push")
    .option("--insecure", "Allow push to an insecure registry")
    .action(async (list: string, options: ManifestPushOptions, command: Command) =>
      (await import("./manifest-push-run.ts")).runManifestPush(list, options, command),
    );
  manifest
    .command("rm")
    .description("Delete one or more manifest lists from local storage")
    .argument("<lists...>", "MANIFEST_LIST [MANIFEST_LIST...]")
    .action(async (lists: string[], _options: object, command: Command) =>
      (await import("./manifest-list-run.ts")).runManifestRm(lists, command),
    );
}
