/** Reads test vectors from ../shared/corpus (beside the repository), never copied into it. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CORPUS_DIR = fileURLToPath(new URL("../../shared/corpus/", import.meta.url));
export const FIXTURES_DIR = fileURLToPath(new URL("../../shared/fixtures/", import.meta.url));

export function loadCorpus<T>(relativePath: string): T {
  return JSON.parse(readFileSync(CORPUS_DIR + relativePath, "utf8")) as T;
}
