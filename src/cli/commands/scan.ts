/**
 * `wharf scan IMAGE` (and docker's `wharf scout cves IMAGE`), `wharf scan db import PATH...`,
 * `wharf scan db update [--from URL|DIR]` and `wharf scan db status`: flags here, the work (loaded when it runs) in scan-run.ts and scan-db-run.ts.
 */
import type { Command } from "commander";
import type { ScanDbFlags, ScanDbUpdateFlags } from "./scan-db-run.ts";
import type { ScanFlags } from "./scan-run.ts";

function defineScanImage(command: Command): Command {
  return command
    .argument(
      "<image>",
      "a local image, or docker://, oci:, oci-archive:, docker-archive: (as wharf copy takes)",
    )
    .option(
      "--format <format>",
      "Output format: table, json (trivy's report), sarif, cyclonedx (SBOM with the vulnerabilities), spdx-json (SBOM), template, or a Go template '{{...}}'",
      "table",
    )
    .option(
      "--template <template>",
      "With --format template: a Go template run on trivy's Results ('{{...}}', or @FILE); functions: Go's builtins and trivy's escapeXML, escapeString, endWithPeriod, appVersion (no sprig)",
    )
    .option("-o, --output <file>", "Write the report to a file instead of standard output")
    .option("--severity <list>", "Severities to report (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
    .option("--ignore-unfixed", "Report only vulnerabilities that have a fixed version")
    .option("--only-fixed", "Alias of --ignore-unfixed")
    .option(
      "--vex <file>",
      "An OpenVEX document: its not_affected and fixed statements hide those findings (repeatable)",
      (file: string, files: string[] | undefined) => [...(files ?? []), file],
    )
    .option("--exit-code <code>", "Exit with this code when a vulnerability is reported (for CI)")
    .option("--platform <platform>", "The platform to scan of a multi-platform image (default: this host's)")
    .option("--db <file>", "The vulnerability database (default: scan/osv.db in the wharf root)")
    .action(async (image: string, flags: ScanFlags, cmd: Command) =>
      (await import("./scan-run.ts")).runScan(image, flags, cmd),
    );
}

export function registerScan(program: Command): void {
  const scan = defineScanImage(
    program.command("scan").description("Scan an image for known vulnerabilities (OSV records, offline)"),
  );
  const db = scan.command("db").description("Manage the local vulnerability database");
  db.command("import")
    .description(
      "Import OSV records: JSON files, folders of them, osv.dev's all.zip, osv-scanner's offline folder",
    )
    .argument("<path...>")
    .option("--db <file>", "The vulnerability database (default: scan/osv.db in the wharf root)")
    .action(async (paths: string[], flags: ScanDbFlags, cmd: Command) =>
      (await import("./scan-db-run.ts")).runScanDbImport(paths, flags, cmd),
    );
  db.command("update")
    .description("Fetch OSV records where there is a network: osv.dev's all.zip per ecosystem, or --from")
    .option(
      "--from <source>",
      "A URL of an all.zip or .json record, or a folder (repeatable; default: osv.dev, for the ecosystems the database holds)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--db <file>", "The vulnerability database (default: scan/osv.db in the wharf root)")
    .action(async (flags: ScanDbUpdateFlags, cmd: Command) =>
      (await import("./scan-db-run.ts")).runScanDbUpdate(flags, cmd),
    );
  db.command("status")
    .description("Show what the vulnerability database holds and how old it is")
    .option("--db <file>", "The vulnerability database (default: scan/osv.db in the wharf root)")
    .action(async (flags: ScanDbFlags, cmd: Command) =>
      (await import("./scan-db-run.ts")).runScanDbStatus(flags, cmd),
    );
  const scout = program.command("scout").description("Docker Scout's commands, answered by wharf scan");
  defineScanImage(scout.command("cves").description("Display the CVEs of an image (wharf scan)"));
}
