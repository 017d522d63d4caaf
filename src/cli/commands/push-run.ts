/**
 * `wharf push`: copy(store -> registry) with docker push's output (transport/push.ts), printed. The stored manifest goes byte for
 * byte, so the pushed digest is the one the image was pulled with (docker converts OCI manifests to
 * Docker schema 2 and so reports another digest); only uncompressed layers (a loaded `docker save`)
 * go up gzip-compressed, as docker pushes them, under a manifest that names the compressed blobs. On success the image gets the RepoDigest
 * repository@digest, as Docker records it; a failed push changes nothing locally.
 */
import type { Command } from "commander";
import { isWharfError, WharfError } from "../../errors.ts";
import { parsePlatform } from "../../oci/platform.ts";
import { parseNormalizedNamed, type Reference, referenceString, tagNameOnly } from "../../oci/reference.ts";
import { registryClientFor } from "../../registry/client/client.ts";
import { pushRepository } from "../../transport/push.ts";
import { globalOptions, openStore } from "../context.ts";
import { ProgressPrinter } from "../progress.ts";

export interface PushFlags {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
}

export async function runPush(name: string, flags: PushFlags, command: Command): Promise<void> {
  let named = parseNormalizedNamed(name);
  if (flags.allTags && named.tag !== undefined) {
    throw new WharfError("TRANSPORT_REFERENCE_INVALID", "tag can't be used with --all-tags/-a");
  }
  if (named.digest !== undefined) {
    throw new WharfError("TRANSPORT_REFERENCE_INVALID", "cannot push a digest reference");
  }
  const quiet = flags.quiet === true;
  if (!flags.allTags && named.tag === undefined) {
    named = tagNameOnly(named);
    if (!quiet) process.stdout.write(`Using default tag: ${named.tag}\n`);
  }
  const platform = flags.platform === undefined ? undefined : parsePlatform(flags.platform);
  const { insecureRegistry } = globalOptions(command);
  const store = await openStore(command);
  try {
    await pushRepository(store, named, {
      ...(platform === undefined ? {} : { platform }),
      sink: new ProgressPrinter(quiet ? { write: () => true } : process.stdout),
      // As dockerd: a registry asking for Basic credentials that there are none of is not tried
      // anonymously (docker push says "no basic auth credentials").
      registryClient: (domain) =>
        registryClientFor(domain, {
          requireBasicCredentials: true,
          ...(insecureRegistry?.length ? { insecureRegistries: insecureRegistry } : {}),
        }),
    });
    if (quiet) process.stdout.write(`${referenceString(named)}\n`);
  } catch (err) {
    throw withLoginHint(err, named);
  } finally {
    store.close();
  }
}

const NO_BASIC_CREDENTIALS = "no basic auth credentials";

/** A registry that wants a login says so in one line, with what to do about it. */
function withLoginHint(err: unknown, ref: Reference): unknown {
  if (!isWharfError(err, "REGISTRY_UNAUTHORIZED") && !isWharfError(err, "REGISTRY_DENIED")) return err;
  // docker push's own line, bare (no request named, no hint), checked against dockerd 20.10.
  if (err.message.endsWith(NO_BASIC_CREDENTIALS)) {
    return new WharfError(err.code, NO_BASIC_CREDENTIALS, err.detail, { cause: err });
  }
  const login = ref.domain === "docker.io" ? "wharf login" : `wharf login ${ref.domain}`;
  return new WharfError(err.code, `${err.message} (run '${login}' to log in)`, err.detail, { cause: err });
}
