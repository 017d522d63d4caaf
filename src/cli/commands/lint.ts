/** `wharf lint [OPTIONS] [CONTEXT]`: the flags here, the work (loaded when it runs) in lint-run.ts. */
import type { Command } from "commander";
import type { LintFlags } from "./lint-run.ts";

export function registerLint(program: Command): void {
  program
    .command("lint")
    .description("Check a Dockerfile: BuildKit's build checks and hadolint-style good practice")
    .argument(
      "[context]",
      "The build context (default: the current directory), or - for a Dockerfile on stdin",
    )
    .option("-f, --file <path>", 'Name of the Dockerfile (default: "CONTEXT/Dockerfile"), or - for stdin')
    .option("--format <format>", 'Output format: "text", "json" or "sarif"', "text")
    .option(
      "--failure-threshold <severity>",
      'Exit 1 when a finding is this severe or worse: "error", "warning", "info", "style" or "none" (default: the config\'s, else "warning")',
    )
    .option("--config <file>", 'Lint config file (default: "CONTEXT/.wharf-lint.yaml" when there is one)')
    .action(async (context: string | undefined, flags: LintFlags, cmd: Command) =>
      (await import("./lint-run.ts")).runLint(context ?? ".", flags, cmd),
    );
}
