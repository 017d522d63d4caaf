/**
 * `wharf inspect` and `wharf image inspect`: docker's inspect output. Without --format, a JSON array
 * indented by 4 spaces (json.Indent of the API objects); `--format json`, the compact array; any
 * other --format, a Go template run on each image, one line each.
 *
 * As docker's CLI does, a template runs first on the typed object (Go field names and types, e.g.
 * `.ID`, and the image config as image-spec's `DockerOCIImageConfig`, so `{{json .Config}}` shows
 * only the keys that are set), then, if that fails, on the raw API object decoded into maps with
 * missingkey=error (JSON names, e.g. `.Id`): see inspect-views.ts.
 */
import type { Command } from "commander";
import { isWharfError } from "../../errors.ts";
import { marshalJSON, parseDockerTemplate, type Template } from "../../format/index.ts";
import { type InspectResponse, inspectImage, isNotFound, resolveNamed } from "../../images/index.ts";
import { inspectResponseStruct } from "../../images/inspect-struct.ts";
import { DAEMON_PREFIX, indentJSON, messageOf, withStore } from "./image-support.ts";
import { executeInspectTemplate } from "./inspect-views.ts";

export interface InspectFlags {
  format?: string;
  /** `inspect` only: docker's --type (config, container, image, ...). */
  type?: string;
  /** `inspect` only: docker's --size, for containers (an image gets docker's warning). */
  size?: boolean;
}

/** "object": docker inspect (missing -> "Error: No such object"); "image": docker image inspect. */
export type Mode = "object" | "image";

/** docker's isErrSkippable for `docker inspect`: the object is looked for as another type instead. */
function skippable(err: unknown): boolean {
  return isNotFound(err) || messageOf(err).includes("invalid reference format");
}

function parseTemplate(format: string): Template | undefined {
  try {
    return parseDockerTemplate(format);
  } catch (err) {
    process.stderr.write(`template parsing error: ${messageOf(err)}\n`);
    process.exitCode = 64;
    return undefined;
  }
}

export async function runInspect(
  refs: string[],
  flags: InspectFlags,
  command: Command,
  mode: Mode,
): Promise<void> {
  const format = flags.format ?? "";
  const template = format !== "" && format !== "json" ? parseTemplate(format) : undefined;
  if (format !== "" && format !== "json" && !template) return;
  await withStore(command, async (store) => {
    const errors: string[] = [];
    const found: InspectResponse[] = [];
    for (const ref of refs) {
      try {
        // Only the images the name can mean are read; one deleted meanwhile is looked up again.
        found.push(await resolveNamed(store, ref, (r) => inspectImage(r.group)));
        if (flags.size) process.stderr.write("WARNING: --size ignored for image\n");
      } catch (err) {
        if (mode === "object" && skippable(err)) errors.push(`Error: No such object: ${ref}`);
        else errors.push(isWharfError(err) ? `${DAEMON_PREFIX}${err.message}` : messageOf(err));
      }
    }
    let out = "";
    if (template) {
      for (const r of found) {
        try {
          out += `${executeInspectTemplate(template, r)}\n`;
        } catch (err) {
          errors.push(`template parsing error: ${messageOf(err)}`);
        }
      }
      if (out === "") out = "\n";
    } else if (found.length === 0) {
      out = "[]\n";
    } else {
      const compact = `[${found.map((r) => marshalJSON(inspectResponseStruct(r))).join(",")}]`;
      out = `${format === "json" ? compact : indentJSON(compact, "    ")}\n`;
    }
    process.stdout.write(out);
    if (errors.length > 0) {
      process.stderr.write(`${errors.join("\n")}\n`);
      process.exitCode = 1;
    }
  });
}
