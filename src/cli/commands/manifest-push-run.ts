/**
 * docker manifest push: the local list as one index in its registry (src/transport/manifest-list-push.ts);
 * prints docker's `Pushed ref` lines and then the index digest; `--purge` drops the local list after.
 */
import type { Command } from "commander";
import { WharfError } from "../../errors.ts";
import { referenceString } from "../../oci/reference.ts";
import { ManifestListStore } from "../../store/manifest-lists.ts";
import { pushManifestList } from "../../transport/manifest-list-push.ts";
import { storeRoot } from "../context.ts";
import type { ManifestPushOptions } from "./manifest.ts";
import { manifestClient, manifestReference } from "./manifest-run.ts";

export async function runManifestPush(
  list: string,
  options: ManifestPushOptions,
  command: Command,
): Promise<void> {
  const target = manifestReference(list);
  const store = new ManifestListStore(storeRoot(command));
  const entries = await store.getList(target);
  if (entries.length === 0) {
    throw new WharfError("MANIFEST_LIST_NOT_FOUND", `${referenceString(target)} not found`);
  }
  const client = await manifestClient(target.domain, options.insecure, command);
  let digest: string;
  try {
    digest = await pushManifestList(client, target, entries, {
      pushedRef: (ref, pushed) =>
        process.stdout.write(`Pushed ref ${referenceString(ref)} with digest: ${pushed}\n`),
    });
  } finally {
    await client.close();
  }
  process.stdout.write(`${digest}\n`);
  if (options.purge) await store.remove(target);
}
