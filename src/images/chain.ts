/**
 * ChainIDs (image-spec config.md "Layer ChainID"): the identity of a layer together with everything
 * below it. Docker names and reference-counts unpacked layers by them, so `docker rmi` prints them
 * (`Deleted: sha256:<chainID>`) and shared sizes are counted by them.
 *   ChainID(L0) = DiffID(L0);  ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))
 */
import { type Digest, digestBytes } from "../oci/digest.ts";

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const previous = out[out.length - 1];
    out.push(previous === undefined ? diffId : digestBytes(`${previous} ${diffId}`));
  }
  return out;
}

/** The ChainID of the whole stack (the image's top layer), or undefined for an image without layers. */
export function chainId(diffIds: readonly Digest[]): Digest | undefined {
  return chainIds(diffIds).at(-1);
}
