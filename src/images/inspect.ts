/**
 * `docker image inspect`: the ImageInspect object of Engine API 1.47 (what a Docker 27 daemon
 * answers, and what docker CLI 28 prints when it talks to one). Compared with 11-inspect.txt
 * (dockerd 20.10, API 1.41): `Container` and `ContainerConfig` are gone (omitted since API 1.45),
 * `VirtualSize` too (since 1.44). `DockerVersion` stays, as "" unless the config names a version:
 * API 1.47 still has it (it is only deprecated later), and scripts read it. `Config` keeps the
 * container-config shape of that API (Hostname, AttachStdin, ... always present; 1.50 dropped them).
 *
 * GraphDriver: wharf has no storage driver and never unpacks layers; they stay compressed blobs of
 * an OCI layout. There is nothing honest to put in Name or Data, so they are "" and null — but the
 * object is kept (its fields are required by the API) so that `{{.GraphDriver.Name}}` still works.
 */
import type { ContainerConfig, HealthConfig } from "../oci/config.ts";
import type { LocalImage } from "./model.ts";
import { formatRFC3339Nano, GO_ZERO_TIME, parseRFC3339 } from "./time.ts";

/** container.Config as API 1.47 shows an image's config (key order as Go marshals it). */
export interface InspectConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: InspectHealthcheck;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export interface InspectHealthcheck {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface InspectResponse {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created?: string;
  DockerVersion: string;
  Author: string;
  Config: InspectConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers?: string[] };
  Metadata: { LastTagTime: string };
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): string[] | null => (Array.isArray(v) ? (v as string[]) : null);
const nonEmpty = (v: unknown): v is object =>
  typeof v === "object" && v !== null && Object.keys(v).length > 0;

function healthcheck(h: HealthConfig): InspectHealthcheck {
  const out: InspectHealthcheck = {};
  if (Array.isArray(h.Test) && h.Test.length > 0) out.Test = h.Test;
  for (const k of ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] as const) {
    const v = h[k];
    if (typeof v === "number" && v !== 0) out[k] = v;
  }
  return out;
}

/** Go's omitempty and nil rules applied to the image's config, in container.Config's field order. */
export function inspectConfig(c: ContainerConfig = {}): InspectConfig {
  return {
    Hostname: str(c.Hostname),
    Domainname: str(c.Domainname),
    User: str(c.User),
    AttachStdin: c.AttachStdin === true,
    AttachStdout: c.AttachStdout === true,
    AttachStderr: c.AttachStderr === true,
    ...(nonEmpty(c.ExposedPorts) ? { ExposedPorts: c.ExposedPorts as Record<string, object> } : {}),
    Tty: c.Tty === true,
    OpenStdin: c.OpenStdin === true,
    StdinOnce: c.StdinOnce === true,
    Env: list(c.Env),
    Cmd: list(c.Cmd),
    ...(c.Healthcheck ? { Healthcheck: healthcheck(c.Healthcheck) } : {}),
    ...(c.ArgsEscaped === true ? { ArgsEscaped: true } : {}),
    Image: str(c.Image),
    Volumes: c.Volumes && typeof c.Volumes === "object" ? (c.Volumes as Record<string, object>) : null,
    WorkingDir: str(c.WorkingDir),
    Entrypoint: list(c.Entrypoint),
    OnBuild: list(c.OnBuild),
    Labels: c.Labels && typeof c.Labels === "object" ? c.Labels : null,
    ...(str(c.StopSignal) !== "" ? { StopSignal: c.StopSignal as string } : {}),
    ...(Array.isArray(c.Shell) && c.Shell.length > 0 ? { Shell: c.Shell } : {}),
  };
}

/** Docker's LastTagTime: when `wharf tag` last tagged the image, else Go's zero time. */
export function lastTagTime(image: LocalImage): string {
  const parsed = image.lastTagTime ? parseRFC3339(image.lastTagTime) : undefined;
  return formatRFC3339Nano(parsed?.instant ?? GO_ZERO_TIME);
}

export function inspectImage(image: LocalImage): InspectResponse {
  const c = image.config;
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: str(c.parent),
    Comment: str(c.comment),
    ...(image.created !== undefined ? { Created: image.created } : {}),
    DockerVersion: str(c.docker_version),
    Author: str(c.author),
    Config: inspectConfig(c.config),
    Architecture: str(c.architecture),
    ...(str(c.variant) !== "" ? { Variant: c.variant as string } : {}),
    Os: str(c.os),
    ...(str(c["os.version"]) !== "" ? { OsVersion: c["os.version"] as string } : {}),
    Size: image.size,
    GraphDriver: { Data: null, Name: "" },
    RootFS: image.diffIds.length > 0 ? { Type: "layers", Layers: image.diffIds } : { Type: "layers" },
    Metadata: { LastTagTime: lastTagTime(image) },
  };
}
