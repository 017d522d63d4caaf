/**
 * A failed pull as dockerd words it (moby distribution/errors.go TranslatePullError): a refusal is a
 * hint to log in, an unknown repository names it. The CLI adds "Error response from daemon: " where
 * docker's client would; the Engine API sends it as dockerd does.
 */
import { isWharfError, WharfError } from "../errors.ts";
import { familiarName, type Reference } from "../oci/reference.ts";
import type { RegistryErrorEntry } from "../registry/client/registry-errors.ts";

function firstRegistryError(err: WharfError): RegistryErrorEntry | undefined {
  const errors = (err.detail as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors[0] as RegistryErrorEntry | undefined) : undefined;
}

/** errcode's Error(): "NAME_UNKNOWN" + message -> "name unknown: message". */
function entryText(entry: RegistryErrorEntry): string {
  return `${entry.code.toLowerCase().replaceAll("_", " ")}: ${entry.message}`;
}

function translated(err: WharfError, ref: Reference): string {
  const first = firstRegistryError(err);
  if (first?.code === "DENIED") {
    return `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${entryText(first)}`;
  }
  if (first?.code === "NAME_UNKNOWN") return `repository ${familiarName(ref)} not found: ${entryText(first)}`;
  // A request that could not be authorized names itself, and dockerd asks for a tag's manifest
  // with HEAD first.
  const authTransport = (err.detail as { authTransport?: unknown } | undefined)?.authTransport === true;
  if (authTransport && ref.digest === undefined) {
    return err.message.replace(/^Get "([^"]*\/manifests\/[^"]*)"/, 'Head "$1"');
  }
  return err.message;
}

/** The error dockerd gives for a pull of `ref` that failed with `err` (others pass unchanged). */
export function pullError(err: unknown, ref: Reference): unknown {
  if (!isWharfError(err)) return err;
  const message = translated(err, ref);
  return message === err.message ? err : new WharfError(err.code, message, err.detail, { cause: err });
}
