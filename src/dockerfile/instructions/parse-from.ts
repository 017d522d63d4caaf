/**
 * FROM, ported from BuildKit's parse.go parseFrom and parseBuildStageName: `FROM image` or
 * `FROM image AS name` (the name lower-cased and checked), with --platform. The stage's commands
 * are added by parseStages.
 */
import { goTrimSpace } from "../go-text.ts";
import type { Stage } from "./commands.ts";
import { instructionError } from "./instruction-error.ts";
import { docComment, type ParseRequest } from "./parse-request.ts";

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function buildStageName(args: string[]): string {
  const [, as, name] = args;
  if (args.length === 3 && as !== undefined && name !== undefined && as.toLowerCase() === "as") {
    const stageName = name.toLowerCase();
    if (!VALID_STAGE_NAME.test(stageName))
      throw instructionError(
        `invalid name for build stage: ${JSON.stringify(name)}, name can't start with a number or contain symbols`,
      );
    return stageName;
  }
  if (args.length !== 1) throw instructionError("FROM requires either one or three arguments");
  return "";
}

export function parseFrom(req: ParseRequest): Stage {
  const name = buildStageName(req.args);
  const platform = req.flags.addString("platform", "");
  req.flags.parse();
  return {
    type: "FROM",
    baseName: req.args[0] ?? "",
    origCmd: req.command,
    name,
    sourceCode: goTrimSpace(req.original),
    platform: platform.value,
    commands: [],
    startLine: req.startLine,
    endLine: req.endLine,
    comments: req.comments,
    docComment: docComment(req.comments, name),
  };
}
