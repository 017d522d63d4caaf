/** `wharf build` / `wharf image build` (docker build's flags; the work, loaded when it runs, in build-run.ts). */
import type { Command } from "commander";
import type { BuildFlags } from "./build-run.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function defineBuild(command: Command): Command {
  return command
    .description("Build an image from a Dockerfile")
    .argument("<path>", "PATH | -")
    .option("-t, --tag <name>", 'Name and optionally a tag in the "name:tag" format', collect)
    .option("-f, --file <path>", 'Name of the Dockerfile (default: "PATH/Dockerfile"), or - for stdin')
    .option("--build-arg <arg>", "Set build-time variables", collect)
    .option("--target <stage>", "Set the target build stage to build")
    .option("--platform <platform>", "Set platform for the build (the host's)")
    .option("--no-cache", "Do not use cache when building the image")
    .option("--pull", "Always attempt to pull a newer version of the base images")
    .option("--label <label>", "Set metadata for an image", collect)
    .option("--iidfile <file>", "Write the image ID to the file")
    .option("-q, --quiet", "Suppress the build output and print image ID on success")
    .option("--progress <type>", 'Set type of progress output ("auto", "plain", "tty", "quiet")', "auto")
    .option(
      "--network <mode>",
      'Set the networking mode for the RUN instructions ("default", "none", "host")',
      "default",
    )
    .option(
      "--secret <spec>",
      'Secret to expose to the build (format: "id=mysecret[,src=/local/secret|env=VAR]")',
      collect,
    )
    .option("--add-host <host:ip>", 'Add a custom host-to-IP mapping (format: "host:ip")', collect)
    .option("-o, --output <spec>", 'Output destination (format: "type=local,dest=path")', collect)
    .option("--push", 'Shorthand for "--output=type=registry"')
    .option(
      "--cache-from <spec>",
      'External cache sources (e.g. "type=local,src=path/to/dir", "type=registry,ref=NAME")',
      collect,
    )
    .option(
      "--cache-to <spec>",
      'Cache export destinations (e.g. "type=local,dest=path/to/dir", "type=registry,ref=NAME")',
      collect,
    )
    .action(async (path: string, flags: BuildFlags, cmd: Command) =>
      (await import("./build-run.ts")).runBuild(path, flags, cmd),
    );
}

export function registerBuild(program: Command): void {
  defineBuild(program.command("build"));
}
