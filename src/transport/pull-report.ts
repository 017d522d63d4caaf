/**
 * docker pull's lines for a pull's events, into a progress sink: "TAG: Pulling from REPO" (keyed by
 * the tag, or the whole reference for a digest), each layer's status, "Digest: ...", and dockerd's
 * end: one Status line (newer image if any tag brought one) and the platform warning. `wharf pull`
 * prints them, POST /images/create streams them.
 */
import { pulledPlatformWarning } from "../images/platform-mismatch.ts";
import type { Platform } from "../oci/platform.ts";
import { familiarString, type Reference } from "../oci/reference.ts";
import type { Store } from "../store/store.ts";
import type { ProgressSink } from "./progress-sink.ts";
import type { PullEvent } from "./types.ts";

/** One event of the pull of `ref`, as docker words it. */
export function reportPullEvent(event: PullEvent, ref: Reference, sink: ProgressSink): void {
  if (event.type === "layer") sink.layer(event.id, event.status, event.current, event.total);
  else if (event.type === "resolved") {
    const id = ref.digest ? familiarString(ref) : ref.tag!;
    const text = `Pulling from ${ref.path}`;
    if (sink.keyedLine) sink.keyedLine(id, text);
    else sink.line(`${id}: ${text}`);
  } else sink.line(`Digest: ${event.digest}`);
}

/** dockerd's last lines of a pull of `ref` (a repository's every tag: the name alone). */
export function pullEndLines(
  store: Store,
  ref: Reference,
  downloaded: boolean,
  platform: Platform | undefined,
): string[] {
  const status = downloaded ? "Downloaded newer image for" : "Image is up to date for";
  const warning = platform && pulledPlatformWarning(store, ref, platform);
  return warning
    ? [`Status: ${status} ${familiarString(ref)}`, warning]
    : [`Status: ${status} ${familiarString(ref)}`];
}
