/**
 * ADD and COPY, ported from BuildKit's parse.go: the flags each accepts, then the last word is the
 * destination and the others sources, where a heredoc word (`<<EOF`) is inline content.
 */
import { chompHeredocContent, type Heredoc, parseHeredoc } from "../heredoc.ts";
import type { AddCommand, CopyCommand, SourceContent, SourcesAndDest } from "./commands.ts";
import { errBadHeredoc, errNoDestinationArgument } from "./instruction-error.ts";
import { commandBase, type ParseRequest } from "./parse-request.ts";

function sourcesAndDest(req: ParseRequest, command: string): SourcesAndDest {
  const sources = req.args.slice(0, -1);
  const destPath = req.args.at(-1) ?? "";
  if (parseHeredoc(destPath) !== undefined) throw errBadHeredoc(command, "a destination");
  const bodies = new Map<string, Heredoc>(req.heredocs.map((h) => [h.name, h]));
  const sourcePaths: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const source of sources) {
    const heredoc = parseHeredoc(source);
    if (heredoc === undefined) {
      sourcePaths.push(source);
      continue;
    }
    const content = bodies.get(heredoc.name)?.content ?? "";
    sourceContents.push({
      path: heredoc.name,
      data: heredoc.chomp ? chompHeredocContent(content) : content,
      expand: heredoc.expand,
    });
  }
  return { destPath, sourcePaths, sourceContents };
}

export function parseAdd(req: ParseRequest): AddCommand {
  if (req.args.length < 2) throw errNoDestinationArgument("ADD");
  const chown = req.flags.addString("chown", "");
  const chmod = req.flags.addString("chmod", "");
  const link = req.flags.addBool("link", false);
  const keepGitDir = req.flags.addBool("keep-git-dir", false);
  const checksum = req.flags.addString("checksum", "");
  const unpack = req.flags.addBool("unpack", false);
  const exclude = req.flags.addStrings("exclude");
  req.flags.parse();
  return {
    type: "ADD",
    ...commandBase(req),
    ...sourcesAndDest(req, "ADD"),
    chown: chown.value,
    chmod: chmod.value,
    link: link.isTrue(),
    // Tri-state upstream: not given lets the build decide (by source kind).
    keepGitDir: req.flags.isUsed("keep-git-dir") ? keepGitDir.isTrue() : undefined,
    checksum: checksum.value,
    excludePatterns: exclude.values,
    unpack: req.flags.isUsed("unpack") ? unpack.isTrue() : undefined,
  };
}

export function parseCopy(req: ParseRequest): CopyCommand {
  if (req.args.length < 2) throw errNoDestinationArgument("COPY");
  const chown = req.flags.addString("chown", "");
  const from = req.flags.addString("from", "");
  const chmod = req.flags.addString("chmod", "");
  const link = req.flags.addBool("link", false);
  const exclude = req.flags.addStrings("exclude");
  const parents = req.flags.addBool("parents", false);
  req.flags.parse();
  return {
    type: "COPY",
    ...commandBase(req),
    ...sourcesAndDest(req, "COPY"),
    from: from.value,
    chown: chown.value,
    chmod: chmod.value,
    link: link.isTrue(),
    parents: parents.isTrue(),
    excludePatterns: exclude.values,
  };
}
