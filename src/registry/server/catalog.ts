/** The repositories of the registry (GET /v2/_catalog): directories under /repositories that hold one. */
import { REPOSITORIES_ROOT } from "./layout.ts";
import type { StorageDriver } from "./storage/driver.ts";

export async function listRepositories(driver: StorageDriver): Promise<string[]> {
  const names: string[] = [];
  const walk = async (path: string, name: string): Promise<void> => {
    const children = await driver.list(path);
    let isRepository = false;
    for (const child of children) {
      const base = child.slice(child.lastIndexOf("/") + 1);
      if (base.startsWith("_")) {
        if (base === "_manifests" || base === "_layers") isRepository = true;
        continue;
      }
      await walk(child, name === "" ? base : `${name}/${base}`);
    }
    if (isRepository) names.push(name);
  };
  await walk(REPOSITORIES_ROOT, "");
  return names.sort();
}

/**
 * One page of a sorted list, as tags/list and _catalog answer: entries after `last`, at most `n`
 * (all when n is undefined). `more` says whether a Link to the next page is due.
 */
export function paginate(all: string[], n: number | undefined, last: string | undefined) {
  const after = last === undefined ? all : all.filter((x) => x > last);
  if (n === undefined) return { page: after, more: false };
  return { page: after.slice(0, n), more: after.length > n && n > 0 };
}
