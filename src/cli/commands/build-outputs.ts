/**
 * docker build's outputs (`-o type=...`, `--push`): the image into the store (default), a
 * docker-archive or oci-archive file (or stdout with dest=-), a registry, or the root file system
 * as a directory (`local`) or a tar (`tar`). Images go through the copy engine; the file system
 * outputs copy the merged root out of the build's snapshots.
 */
import { WharfError } from "../../errors.ts";
import { usageError } from "../exit.ts";

export type BuildOutput =
  | { type: "image"; push: boolean }
  | { type: "docker" | "oci"; dest: string }
  | { type: "registry" }
  | { type: "local" | "tar"; dest: string };

export interface OutputChoice {
  outputs: BuildOutput[];
  compression: "gzip" | "zstd" | "none";
}

/** Parses the -o values (docker's CSV `type=X,dest=Y,...`; a bare path is type=local). */
export function parseOutputs(specs: readonly string[], push: boolean): OutputChoice {
  // Layers stay plain tars in the store unless asked otherwise, as docker's image store keeps them
  // (and BuildKit's docker exporter): compressing is the push's job (layer-gzip.ts), and gzip on
  // this machine runs at ~30 MB/s for incompressible data, which a build should not wait for.
  let compression: OutputChoice["compression"] = "none";
  const outputs: BuildOutput[] = [];
  for (const spec of specs) {
    const fields = new Map<string, string>();
    if (!spec.includes("=")) fields.set("type", "local").set("dest", spec);
    else {
      for (const part of spec.split(",")) {
        const eq = part.indexOf("=");
        if (eq < 0) throw usageError(`invalid value ${part} in --output`, "wharf build");
        fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
      }
    }
    const type = fields.get("type") ?? "";
    const c = fields.get("compression");
    if (c !== undefined) {
      if (c === "uncompressed") compression = "none";
      else if (c === "gzip" || c === "zstd") compression = c;
      else throw usageError(`invalid compression ${c}: gzip, zstd or uncompressed`, "wharf build");
    }
    const dest = fields.get("dest");
    switch (type) {
      case "image":
        outputs.push({ type: "image", push: fields.get("push") === "true" });
        break;
      case "registry":
        outputs.push({ type: "registry" });
        break;
      case "docker":
      case "oci":
      case "local":
      case "tar":
        if (!dest) throw usageError(`output type ${type} needs dest=PATH`, "wharf build");
        outputs.push({ type, dest });
        break;
      default:
        throw new WharfError(
          "USAGE",
          `unsupported output type "${type}": image, registry, docker, oci, tar or local`,
          {
            command: "wharf build",
          },
        );
    }
  }
  if (outputs.length === 0) outputs.push({ type: "image", push });
  else if (push) outputs.push({ type: "registry" });
  return { outputs, compression };
}
