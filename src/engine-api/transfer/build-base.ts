/**
 * Base images for POST /build: transport/base-image.ts (as `wharf build` resolves them), pulled with
 * the credentials X-Registry-Config holds for the base's registry.
 */
import type { Platform } from "../../oci/platform.ts";
import type { ManifestRef } from "../../store/records.ts";
import { resolveBaseImage } from "../../transport/base-image.ts";
import type { EngineContext, RegistryAuth } from "../context.ts";
import { authForDomain } from "./registry-auth.ts";

export function baseResolver(
  ctx: EngineContext,
  config: ReadonlyMap<string, RegistryAuth>,
  pull: boolean,
): (name: string, platform: Platform) => Promise<ManifestRef> {
  return (name, platform) =>
    resolveBaseImage(ctx.store, name, platform, {
      pull,
      registryClient: (domain) => ctx.registryClient(domain, authForDomain(config, domain)),
    });
}
