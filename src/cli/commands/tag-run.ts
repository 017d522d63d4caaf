/** `wharf tag SOURCE TARGET` / `wharf image tag`: silent on success, as docker is. */
import type { Command } from "commander";
import { parseTagArguments, tagImage } from "../../images/index.ts";
import { daemon, withStore } from "./image-support.ts";

export async function runTag(source: string, target: string, cmd: Command): Promise<void> {
  // docker's client checks both references before asking its daemon.
  const ref = parseTagArguments(source, target);
  await withStore(cmd, (store) => daemon(() => tagImage(store, source, ref)));
}
