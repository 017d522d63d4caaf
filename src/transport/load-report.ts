/**
 * docker load's output for a load: "Loading layer" progress per layer, and dockerd's lines for the
 * result (a tag taken from another image announced, each name "Loaded image: NAME", and image IDs by
 * dockerd 20.10's rule). `wharf load` prints them, POST /images/load streams them.
 */
import { shortDigest } from "../oci/digest.ts";
import { familiarString, parseNormalizedNamed } from "../oci/reference.ts";
import type { LoadResult } from "./load.ts";
import type { ProgressSink } from "./progress-sink.ts";
import type { CopyEvent } from "./types.ts";

/** loadArchive's onEvent that shows each layer's "Loading layer" progress in `sink`. */
export function loadProgress(sink: ProgressSink): (event: CopyEvent) => void {
  return (event) => {
    if (event.type !== "blob" || event.role !== "layer" || event.status !== "transferring") return;
    sink.layer(shortDigest(event.digest), "Loading layer", event.current ?? 0, event.total);
  };
}

export function loadedLines(result: LoadResult): string[] {
  // What each name pointed at before, when the load moved it (docker's "renaming the old one").
  const previous = new Map<string, string>();
  for (const tag of result.commit.names) {
    if (tag.previous) previous.set(familiarString(parseNormalizedNamed(tag.name)), tag.previous.id);
  }
  const lines: string[] = [];
  for (const image of result.images) {
    for (const name of image.names) {
      const before = previous.get(familiarString(parseNormalizedNamed(name)));
      if (before && before !== image.id) {
        lines.push(
          `The image ${name} already exists, renaming the old one with ID ${before} to empty string`,
        );
      }
      lines.push(`Loaded image: ${name}`);
    }
  }
  // dockerd 20.10 counts the names of the last image only: when it has none, every image's ID follows
  // (tagged ones too); when it has some, none does, not even an untagged image's before it.
  const last = result.images.at(-1);
  if (last !== undefined && last.names.length === 0) {
    for (const image of result.images) lines.push(`Loaded image ID: ${image.id}`);
  }
  return lines;
}
