/**
 * What a `docker image inspect --format` template runs on. docker's CLI runs it first on the typed
 * image.InspectResponse it decoded (Go field names and Go types: `{{.ID}}`, a nil pointer prints
 * `<nil>`, a nil slice `[]` and marshals as null, a struct{} prints `{}`, a Duration `30s`), and,
 * if that fails, on the raw API JSON decoded into maps with missingkey=error (JSON names: `{{.Id}}`;
 * an absent key fails with `map has no entry for key "X"`). The raw object, kept in the API's field
 * order, is also what the default and `json` outputs print.
 */

import { jsonString } from "../../format/gojson.ts";
import {
  GoDuration,
  GoNilPointer,
  goMapType,
  goNil,
  goStruct,
  marshalJSON,
  type Template,
  withGoString,
  withMarshalJSON,
} from "../../format/index.ts";
import {
  formatRFC3339Nano,
  goTimeStringUTC,
  type InspectConfig,
  type InspectResponse,
  parseRFC3339,
} from "../../images/index.ts";
import { inspectResponseStruct } from "../../images/inspect-struct.ts";

/** tryRawInspectFallback's data: the API JSON decoded into maps (run with missingkey=error). */
function fallbackView(r: InspectResponse): unknown {
  return JSON.parse(marshalJSON(inspectResponseStruct(r)));
}

/**
 * docker's TemplateInspector.Inspect for one image: the template on the typed object, else on the
 * raw one with missingkey=error; throws the second execution's error (TEMPLATE_EXEC).
 */
export function executeInspectTemplate(template: Template, r: InspectResponse): string {
  try {
    return template.execute(typedView(r));
  } catch {
    return template.execute(fallbackView(r), { missingKey: "error" });
  }
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

/** A []string: null or absent in the JSON is Go's nil slice. */
function strings(v: readonly string[] | null | undefined): string[] {
  return v === null || v === undefined ? goNil([], "[]string") : [...v];
}

/** A map[string]string (index of a missing key: ""). */
function stringMap(v: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const m = v === null || v === undefined ? goNil({}, "map[string]string") : { ...v };
  return goMapType(m, "map[string]string", "");
}

const emptyStruct = () => goStruct({}, "struct {}");

/** A map[string]struct{} (ExposedPorts, Volumes): each value prints `{}`, as does index of a missing key. */
function structSet(v: Readonly<Record<string, unknown>> | null | undefined): Record<string, object> {
  const type = "map[string]struct {}";
  if (v === null || v === undefined) return goMapType(goNil({}, type), type, emptyStruct());
  const m: Record<string, object> = {};
  for (const k of Object.keys(v)) m[k] = emptyStruct();
  return goMapType(m, type, emptyStruct());
}

const HEALTHCHECK_FIELDS = ["Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"];
const DESCRIPTOR_FIELDS = [
  "MediaType",
  "Digest",
  "Size",
  "URLs",
  "Annotations",
  "Data",
  "Platform",
  "ArtifactType",
];
const CONTAINER_CONFIG_FIELDS = [
  "Hostname",
  "Domainname",
  "User",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "ExposedPorts",
  "Tty",
  "OpenStdin",
  "StdinOnce",
  "Env",
  "Cmd",
  "Healthcheck",
  "ArgsEscaped",
  "Image",
  "Volumes",
  "WorkingDir",
  "Entrypoint",
  "NetworkDisabled",
  "MacAddress",
  "OnBuild",
  "Labels",
  "StopSignal",
  "StopTimeout",
  "Shell",
];

/** *v1.HealthcheckConfig: durations are time.Duration (printed `1m30s`, marshalled as nanoseconds). */
function healthcheck(h: InspectConfig["Healthcheck"]): object {
  const type = "*v1.HealthcheckConfig";
  if (h === undefined) return new GoNilPointer(type, HEALTHCHECK_FIELDS);
  const fields = goStruct(
    {
      Test: strings(h.Test),
      Interval: new GoDuration(h.Interval ?? 0),
      Timeout: new GoDuration(h.Timeout ?? 0),
      StartPeriod: new GoDuration(h.StartPeriod ?? 0),
      StartInterval: new GoDuration(h.StartInterval ?? 0),
      Retries: h.Retries ?? 0,
    },
    type,
  );
  // Every field is omitempty: the API object has only those that are set.
  return withMarshalJSON(fields, () => marshalJSON(goStruct({ ...h }, type)));
}

/** *dockerspec.DockerOCIImageConfig: ocispec.ImageConfig and the Docker extension, both embedded. */
function typedConfig(c: InspectConfig): object {
  const image = goStruct(
    {
      User: c.User,
      ExposedPorts: structSet(c.ExposedPorts),
      Env: strings(c.Env),
      Entrypoint: strings(c.Entrypoint),
      Cmd: strings(c.Cmd),
      Volumes: structSet(c.Volumes),
      WorkingDir: c.WorkingDir,
      Labels: stringMap(c.Labels),
      StopSignal: c.StopSignal ?? "",
      ArgsEscaped: c.ArgsEscaped ?? false,
    },
    "v1.ImageConfig",
  );
  const ext = goStruct(
    { Healthcheck: healthcheck(c.Healthcheck), OnBuild: strings(c.OnBuild), Shell: strings(c.Shell) },
    "v1.DockerOCIImageConfigExt",
  );
  return withMarshalJSON(
    goStruct({ ImageConfig: image, DockerOCIImageConfigExt: ext }, "*v1.DockerOCIImageConfig", [
      "ImageConfig",
      "DockerOCIImageConfigExt",
    ]),
    () => ociConfigJSON(c),
  );
}

/** A time.Time: prints as Go's Time.String, marshals as RFC 3339 with nanoseconds. */
function goTime(rfc3339: string): object {
  const parsed = parseRFC3339(rfc3339);
  if (parsed === undefined) return withGoString(goStruct({}, "time.Time"), rfc3339);
  const time = withGoString(goStruct({}, "time.Time"), goTimeStringUTC(parsed.instant));
  return withMarshalJSON(time, () => jsonString(formatRFC3339Nano(parsed.instant), true));
}

/** docker's typed image.InspectResponse, as a template sees it. */
export function typedView(r: InspectResponse): object {
  const config = typedConfig(r.Config);
  const metadata = goStruct({ LastTagTime: goTime(r.Metadata.LastTagTime) }, "image.Metadata");
  const typed = goStruct(
    {
      ID: r.Id,
      RepoTags: strings(r.RepoTags),
      RepoDigests: strings(r.RepoDigests),
      Parent: r.Parent,
      Comment: r.Comment,
      Created: r.Created ?? "",
      Container: "",
      ContainerConfig: new GoNilPointer("*container.Config", CONTAINER_CONFIG_FIELDS),
      DockerVersion: r.DockerVersion,
      Author: r.Author,
      Config: config,
      Architecture: r.Architecture,
      Variant: r.Variant ?? "",
      Os: r.Os,
      OsVersion: r.OsVersion ?? "",
      Size: r.Size,
      // API 1.44 dropped VirtualSize; decoded from a newer daemon's answer, it is 0.
      VirtualSize: 0,
      GraphDriver: goStruct(
        { Data: stringMap(r.GraphDriver.Data), Name: r.GraphDriver.Name },
        "storage.DriverData",
      ),
      RootFS: goStruct({ Type: r.RootFS.Type, Layers: strings(r.RootFS.Layers) }, "image.RootFS"),
      Metadata: metadata,
      Descriptor: new GoNilPointer("*v1.Descriptor", DESCRIPTOR_FIELDS),
      Manifests: goNil([], "[]image.ManifestSummary"),
    },
    "image.InspectResponse",
  );
  // Marshalled, the typed object is the API object with the image-spec config.
  const raw = inspectResponseStruct(r) as Record<string, unknown>;
  return withMarshalJSON(typed, () =>
    marshalJSON(goStruct({ ...raw, Config: config }, "image.InspectResponse")),
  );
}
