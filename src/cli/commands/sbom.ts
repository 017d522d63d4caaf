/**
 * `wharf sbom IMAGE`: the software bill of materials of an image, as docker's sbom plugin takes
 * its flags (--format, -o/--output, --platform), and --attach (the SBOM pushed to the image's
 * registry as an OCI referrer): flags here, the work (loaded when it runs) in sbom-run.ts.
 */
import type { Command } from "commander";
import type { SbomFlags } from "./sbom-run.ts";

export function registerSbom(program: Command): void {
  program
    .command("sbom")
    .description("Write the software bill of materials of an image (CycloneDX or SPDX JSON)")
    .argument(
      "<image>",
      "a local image, or docker://, oci:, oci-archive:, docker-archive: (as wharf copy takes)",
    )
    .option(
      "--format <format>",
      "Output format: cyclonedx-json (CycloneDX 1.6) or spdx-json (SPDX 2.3)",
      "cyclonedx-json",
    )
    .option("-o, --output <file>", "Write the SBOM to a file instead of standard output")
    .option("--platform <platform>", "The platform of a multi-platform image (default: this host's)")
    .option(
      "--attach",
      "Push the SBOM to the image's registry as an OCI referrer of the image (written to -o only if given)",
    )
    .action(async (image: string, flags: SbomFlags, cmd: Command) =>
      (await import("./sbom-run.ts")).runSbom(image, flags, cmd),
    );
}
