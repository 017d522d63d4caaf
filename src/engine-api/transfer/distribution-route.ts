/**
 * GET /distribution/{name}/json (docker manifest inspect's daemon side, and what buildx asks): the
 * registry's descriptor of the reference (media type, digest and size of the bytes it sends) and
 * the platforms it holds: an index's entries, or a single manifest's config os/architecture/variant
 * (moby's distributionInspect). Credentials from X-Registry-Auth.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Digest } from "../../oci/digest.ts";
import { parseDocument } from "../../oci/document.ts";
import { parseNormalizedNamed, tagNameOnly } from "../../oci/reference.ts";
import type { RegistryClient } from "../../registry/client/client.ts";
import type { EngineContext } from "../context.ts";
import { registryAuthHeader } from "./registry-auth.ts";

interface PlatformAnswer {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

const JSON_SUFFIX = "/json";

export async function distributionRoute(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: EngineContext,
): Promise<unknown> {
  const rest = (request.params as { "*"?: string })["*"] ?? "";
  if (!rest.endsWith(JSON_SUFFIX) || rest.length === JSON_SUFFIX.length) return reply.callNotFound();
  const ref = tagNameOnly(parseNormalizedNamed(decodeURIComponent(rest.slice(0, -JSON_SUFFIX.length))));
  const client = await ctx.registryClient(ref.domain, registryAuthHeader(request));
  try {
    const manifest = await client.getManifest(ref.path, ref.digest ?? ref.tag!);
    const doc = parseDocument(manifest.bytes, manifest.mediaType);
    const platforms =
      doc.kind === "index"
        ? doc.value.manifests.flatMap((m) => (m.platform ? [platformAnswer(m.platform)] : []))
        : [await configPlatform(client, ref.path, doc.value.config.digest as Digest)];
    return reply.send({
      Descriptor: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength },
      Platforms: platforms,
    });
  } finally {
    await client.close();
  }
}

function platformAnswer(p: PlatformAnswer): PlatformAnswer {
  return {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    ...(p["os.version"] ? { "os.version": p["os.version"] } : {}),
    ...(p["os.features"]?.length ? { "os.features": p["os.features"] } : {}),
  };
}

/** A single manifest's platform is in its config (small: read whole). */
async function configPlatform(
  client: RegistryClient,
  repository: string,
  digest: Digest,
): Promise<PlatformAnswer> {
  const blob = await client.getBlob(repository, digest);
  const chunks: Buffer[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
  const config = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Partial<PlatformAnswer>;
  return platformAnswer({
    architecture: config.architecture ?? "",
    os: config.os ?? "",
    ...config,
  } as PlatformAnswer);
}
