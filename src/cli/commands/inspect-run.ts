/**
 * `wharf inspect` and `wharf image inspect`: docker's inspect output. Without --format, a JSON array
 * indented by 4 spaces (json.Indent of the API objects); `--format json`, the compact array; any
 * other --format, a Go template run on each image, one line each.
 *
 * As docker's CLI does, a template runs first on the typed object (Go field names, e.g. `.ID`, and
 * the image config as image-spec's `DockerOCIImageConfig`, so `{{json .Config}}` shows only the keys
 * that are set), then, if that fails, on the raw API object (JSON names, e.g. `.Id`).
 */
import type { Command } from "commander";
import { isWharfError } from "../../errors.ts";
import {
  goStruct,
  marshalJSON,
  parseDockerTemplate,
  type Template,
  withMarshalJSON,
} from "../../format/index.ts";
import {
  goTimeStringUTC,
  type InspectConfig,
  type InspectResponse,
  inspectImage,
  isNotFound,
  parseRFC3339,
  resolveAgain,
} from "../../images/index.ts";
import { DAEMON_PREFIX, imagesOf, indentJSON, messageOf, withStore } from "./image-support.ts";

import type { InspectFlags, Mode } from "./inspect.ts";

/** Marks the API object's structs so that Go's marshalling keeps their field order (maps are sorted). */
function rawView(r: InspectResponse): object {
  const config = goStruct({ ...r.Config }, "container.Config");
  if (r.Config.Healthcheck)
    config.Healthcheck = goStruct({ ...r.Config.Healthcheck }, "container.HealthConfig");
  return goStruct(
    {
      ...r,
      Config: config,
      GraphDriver: goStruct({ ...r.GraphDriver }, "storage.DriverData"),
      RootFS: goStruct({ ...r.RootFS }, "image.RootFS"),
      Metadata: goStruct({ ...r.Metadata }, "image.Metadata"),
    },
    "image.InspectResponse",
  );
}

/** image-spec's DockerOCIImageConfig as json.Marshal writes it: every field omitempty. */
function ociConfigJSON(c: InspectConfig): string {
  const out: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => {
    const empty =
      v === undefined ||
      v === null ||
      v === "" ||
      v === false ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);
    if (!empty) out[k] = v;
  };
  set("User", c.User);
  set("ExposedPorts", c.ExposedPorts);
  set("Env", c.Env);
  set("Entrypoint", c.Entrypoint);
  set("Cmd", c.Cmd);
  set("Volumes", c.Volumes);
  set("WorkingDir", c.WorkingDir);
  set("Labels", c.Labels);
  set("StopSignal", c.StopSignal);
  set("ArgsEscaped", c.ArgsEscaped);
  if (c.Healthcheck) out.Healthcheck = goStruct({ ...c.Healthcheck }, "v1.HealthcheckConfig");
  set("OnBuild", c.OnBuild);
  set("Shell", c.Shell);
  return marshalJSON(goStruct(out, "v1.DockerOCIImageConfig"));
}

/** docker's typed image.InspectResponse, as a template sees it. */
function typedView(r: InspectResponse): object {
  const c = r.Config;
  // Go prints a nil slice as [] and a nil map as map[]; a struct{} as {}.
  const volumes: Record<string, object> = {};
  for (const k of Object.keys(c.Volumes ?? {})) volumes[k] = goStruct({}, "struct {}");
  const config = withMarshalJSON(
    goStruct(
      {
        User: c.User,
        ExposedPorts: c.ExposedPorts ?? {},
        Env: c.Env ?? [],
        Entrypoint: c.Entrypoint ?? [],
        Cmd: c.Cmd ?? [],
        Volumes: volumes,
        WorkingDir: c.WorkingDir,
        Labels: c.Labels ?? {},
        StopSignal: c.StopSignal ?? "",
        ArgsEscaped: c.ArgsEscaped ?? false,
        Healthcheck: c.Healthcheck ? goStruct({ ...c.Healthcheck }, "v1.HealthcheckConfig") : null,
        OnBuild: c.OnBuild ?? [],
        Shell: c.Shell ?? [],
      },
      "v1.DockerOCIImageConfig",
    ),
    () => ociConfigJSON(c),
  );
  const lastTag = parseRFC3339(r.Metadata.LastTagTime);
  const metadata = withMarshalJSON(
    goStruct(
      { LastTagTime: lastTag ? goTimeStringUTC(lastTag.instant) : r.Metadata.LastTagTime },
      "image.Metadata",
    ),
    () => marshalJSON(goStruct({ ...r.Metadata })),
  );
  const typed = goStruct(
    {
      ID: r.Id,
      RepoTags: r.RepoTags,
      RepoDigests: r.RepoDigests,
      Parent: r.Parent,
      Comment: r.Comment,
      Created: r.Created ?? "",
      Container: "",
      ContainerConfig: null,
      DockerVersion: r.DockerVersion,
      Author: r.Author,
      Config: config,
      Architecture: r.Architecture,
      Variant: r.Variant ?? "",
      Os: r.Os,
      OsVersion: r.OsVersion ?? "",
      Size: r.Size,
      VirtualSize: 0,
      GraphDriver: goStruct(
        { Data: r.GraphDriver.Data ?? {}, Name: r.GraphDriver.Name },
        "storage.DriverData",
      ),
      RootFS: goStruct({ Type: r.RootFS.Type, Layers: r.RootFS.Layers ?? [] }, "image.RootFS"),
      Metadata: metadata,
      Descriptor: null,
      Manifests: [],
    },
    "image.InspectResponse",
  );
  // Marshalled, the typed object is the API object with the image-spec config.
  const raw = rawView(r) as Record<string, unknown>;
  return withMarshalJSON(typed, () =>
    marshalJSON(goStruct({ ...raw, Config: config }, "image.InspectResponse")),
  );
}

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
    const images = await imagesOf(store);
    const errors: string[] = [];
    const found: InspectResponse[] = [];
    for (const ref of refs) {
      try {
        // An image deleted since the listing is looked up again: there again, or No such image.
        found.push(await resolveAgain(store, images, ref, (r) => inspectImage(r.group)));
      } catch (err) {
        if (mode === "object" && skippable(err)) errors.push(`Error: No such object: ${ref}`);
        else errors.push(isWharfError(err) ? `${DAEMON_PREFIX}${err.message}` : messageOf(err));
      }
    }
    let out = "";
    if (template) {
      for (const r of found) {
        try {
          out += `${template.execute(typedView(r))}\n`;
        } catch {
          try {
            // The raw object's structs stay structs: a missing key fails, as docker's missingkey=error does.
            out += `${template.execute(rawView(r))}\n`;
          } catch (err) {
            errors.push(`template parsing error: ${messageOf(err)}`);
          }
        }
      }
      if (out === "") out = "\n";
    } else if (found.length === 0) {
      out = "[]\n";
    } else {
      const compact = `[${found.map((r) => marshalJSON(rawView(r))).join(",")}]`;
      out = `${format === "json" ? compact : indentJSON(compact, "    ")}\n`;
    }
    process.stdout.write(out);
    if (errors.length > 0) {
      process.stderr.write(`${errors.join("\n")}\n`);
      process.exitCode = 1;
    }
  });
}
