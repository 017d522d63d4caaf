/**
 * The distribution API's paths: repository names contain slashes, so paths are matched by shape
 * first and the name is then checked strictly (a bad name is NAME_INVALID, not a 404).
 */

import { REFERENCE_REGEXPS } from "../../oci/reference-grammar.ts";
import type { Action, Need } from "./auth.ts";
import { DistributionError } from "./errors.ts";

const NAME = REFERENCE_REGEXPS.remoteName.source;
export const TAG = /^[\w][\w.-]{0,127}$/;
/** Names longer than this are refused (distribution's limit for the whole repository name). */
const NAME_MAX = 255;

export type Route =
  | { kind: "manifest"; name: string; reference: string }
  | { kind: "blob"; name: string; digest: string }
  | { kind: "uploads"; name: string }
  | { kind: "upload"; name: string; uuid: string }
  | { kind: "tags"; name: string }
  | { kind: "referrers"; name: string; digest: string }
  | { kind: "catalog" }
  | { kind: "base" };

const SHAPES: [RegExp, (m: RegExpMatchArray) => Route][] = [
  [/^\/v2\/?$/, () => ({ kind: "base" })],
  [/^\/v2\/_catalog$/, () => ({ kind: "catalog" })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: "manifest", name: m[1]!, reference: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: "uploads", name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: "upload", name: m[1]!, uuid: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: "blob", name: m[1]!, digest: m[2]! })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: "tags", name: m[1]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: "referrers", name: m[1]!, digest: m[2]! })],
];
export const NAME_EXACT = new RegExp(`^${NAME}$`);

export function route(path: string): Route | undefined {
  for (const [shape, make] of SHAPES) {
    const m = path.match(shape);
    if (!m) continue;
    const r = make(m);
    if ("name" in r && (r.name.length > NAME_MAX || !NAME_EXACT.test(r.name))) {
      throw new DistributionError("NAME_INVALID", `invalid repository name: ${r.name}`);
    }
    return r;
  }
  return undefined;
}

/** The access a route needs for a method. */
export function needOf(r: Route, method: string): Need {
  if (r.kind === "base") return { base: true };
  if (r.kind === "catalog") return { catalog: true };
  let action: Action = "pull";
  if (method === "DELETE" && (r.kind === "manifest" || r.kind === "blob")) action = "delete";
  else if (
    r.kind === "uploads" ||
    r.kind === "upload" ||
    method === "PUT" ||
    method === "POST" ||
    method === "PATCH"
  ) {
    action = "push";
  }
  // A push needs pull too, as distribution's scopes ("pull,push") have it.
  return { repository: r.name, actions: action === "push" ? ["pull", "push"] : [action] };
}
