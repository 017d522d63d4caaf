/**
 * POST /images/create?fromImage=&tag=&platform= (docker pull): the same pull as `wharf pull`
 * (transport/registry-pull.ts, worded by transport/pull-report.ts) with dockerd's JSON progress:
 * "Pulling from REPO" keyed by the tag, each layer's status, "Digest: ...", then "Status: ...". `tag` may be a digest; no tag
 * on a bare name pulls every tag (docker pull -a). A pull that fails before any progress is the
 * endpoint's error answer; after that, the error is the stream's last message (moby's
 * postImagesCreate), worded as dockerd words it (pull-errors.ts).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { messageOf, WharfError } from "../../errors.ts";
import { isDigest } from "../../oci/digest.ts";
import { parsePlatform } from "../../oci/platform.ts";
import { parseNormalizedNamed, type Reference, trimNamed, withDigest, withTag } from "../../oci/reference.ts";
import { pullError } from "../../transport/pull-errors.ts";
import { pullEndLines, reportPullEvent } from "../../transport/pull-report.ts";
import { pullFromRegistry } from "../../transport/registry-pull.ts";
import type { EngineContext } from "../context.ts";
import { JsonMessageStream } from "./json-stream.ts";
import { registryAuthHeader } from "./registry-auth.ts";

interface PullQuery {
  fromImage?: string;
  fromSrc?: string;
  tag?: string;
  platform?: string;
}

/** Layers downloaded at once: dockerd's max-concurrent-downloads default. */
const PULL_CONCURRENCY = 3;

/** moby's postImagesCreate: a digest in `tag` pins it, a tag replaces the name's own. */
export function pullReference(fromImage: string, tag: string | undefined): Reference {
  const named = parseNormalizedNamed(fromImage);
  if (tag === undefined || tag === "") return named;
  return isDigest(tag) ? withDigest(trimNamed(named), tag) : withTag(trimNamed(named), tag);
}

export async function pullRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<void> {
  const query = request.query as PullQuery;
  if (query.fromImage === undefined || query.fromImage === "") {
    // fromSrc is docker import, which wharf's Engine API does not serve.
    throw new WharfError(
      "USAGE",
      query.fromSrc ? "importing (fromSrc) is not supported" : "fromImage is required",
    );
  }
  const named = pullReference(query.fromImage, query.tag);
  const platform = query.platform ? parsePlatform(query.platform) : undefined;
  const stream = new JsonMessageStream(reply);
  try {
    const downloaded = await pullFromRegistry(ctx.store, named, {
      ...(platform ? { platform } : {}),
      concurrency: PULL_CONCURRENCY,
      registryClient: (domain) => ctx.registryClient(domain, registryAuthHeader(request)),
      onEvent: (event, ref) => reportPullEvent(event, ref, stream),
    });
    for (const line of pullEndLines(ctx.store, named, downloaded, platform)) stream.line(line);
  } catch (err) {
    const worded = pullError(err, named);
    if (!stream.started) throw worded;
    stream.error(messageOf(worded));
  }
  await stream.end();
}
