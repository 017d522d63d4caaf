/**
 * `docker manifest inspect`'s errors, as its CLI-side registry client (docker/cli
 * cli/registry/client) words them: no daemon, so no "Error response from daemon: ". An answer that
 * lets it try the next endpoint (unauthorized, manifest or name unknown, a plain-HTTP registry
 * without --insecure) ends as `no such manifest: REF`; a failed ping names the HTTPS endpoint tried
 * first; several registry errors print as Go's errcode.Errors does.
 */
import { isWharfError, WharfError } from "../../errors.ts";
import { type Reference, referenceString } from "../../oci/reference.ts";
import type { RegistryErrorEntry } from "../../registry/client/registry-errors.ts";
import { isPlainHttpAnswer } from "../../registry/client/transport.ts";

/** Registry error codes after which docker's client tries the next endpoint (fetcher.go continueOnError). */
const CONTINUE_CODES = new Set(["UNAUTHORIZED", "MANIFEST_UNKNOWN", "NAME_UNKNOWN"]);

function registryErrors(err: WharfError): RegistryErrorEntry[] {
  const errors = (err.detail as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? (errors as RegistryErrorEntry[]) : [];
}

function entryText(entry: RegistryErrorEntry): string {
  return `${entry.code.toLowerCase().replaceAll("_", " ")}: ${entry.message}`;
}

function endsOnNextEndpoint(err: WharfError): boolean {
  if (isPlainHttpAnswer(err)) return true;
  const first = registryErrors(err)[0];
  if (first !== undefined) return CONTINUE_CODES.has(first.code);
  // A bare 401 is errcode's UNAUTHORIZED; a bare 404, wharf's "manifest unknown".
  const status = (err.detail as { status?: unknown } | undefined)?.status;
  return (
    (err.code === "REGISTRY_UNAUTHORIZED" || err.code === "REGISTRY_NOT_FOUND") &&
    (status === 401 || status === 404)
  );
}

/** A connection failure of the ping (GET /v2/, the first request to a registry). */
function pingFailure(err: WharfError): string | undefined {
  if (!["REGISTRY_UNAVAILABLE", "REGISTRY_TIMEOUT", "REGISTRY_TLS"].includes(err.code)) return undefined;
  const url = (err.detail as { url?: unknown } | undefined)?.url;
  if (typeof url !== "string" || new URL(url).pathname !== "/v2/") return undefined;
  const https = new URL(url);
  https.protocol = "https:";
  const quoted = `"${url}": `;
  const at = err.message.indexOf(quoted);
  const reason = at === -1 ? err.message : err.message.slice(at + quoted.length);
  return `failed to configure transport: error pinging v2 registry: Get "${https.href}": ${reason}`;
}

/** The error docker manifest inspect prints for `err` while asking the registry about `ref`. */
export function manifestInspectError(err: unknown, ref: Reference): unknown {
  if (!isWharfError(err)) return err;
  let message: string | undefined;
  if (endsOnNextEndpoint(err)) message = `no such manifest: ${referenceString(ref)}`;
  else message = pingFailure(err);
  const errors = registryErrors(err);
  // Go's errcode.Errors.Error() for more than one; the CLI's own newline follows.
  if (message === undefined && errors.length > 1) {
    message = `errors:\n${errors.map((e) => `${entryText(e)}\n`).join("")}`;
  }
  return message === undefined ? err : new WharfError(err.code, message, err.detail, { cause: err });
}
