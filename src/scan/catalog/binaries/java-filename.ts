/**
 * What a Java archive's file name says: which names are Java archives, and the artifact name and
 * version in a name such as "spring-data-r2dbc-1.1.0.RELEASE.jar". The split follows syft's
 * archive_filename.go (its nameAndVersionPattern and secondaryVersionPattern), re-expressed without
 * the regular expression: the name is the shortest run of leading dash-separated words (each a
 * letter then letters, digits, "_" or ".") after which the rest reads as a version (starting with a
 * digit, "build" and a digit, or wholly "r"/"rc" and digits).
 */

/** Java archive kinds: jars, web and enterprise archives, JBoss par/sar, Jenkins plugins. */
export const JAVA_ARCHIVE_EXTENSIONS = ["jar", "war", "ear", "par", "sar", "jpi", "hpi"] as const;

export function isJavaArchiveName(path: string): boolean {
  const dot = path.lastIndexOf(".");
  if (dot < 0 || dot < path.lastIndexOf("/")) return false;
  return (JAVA_ARCHIVE_EXTENSIONS as readonly string[]).includes(path.slice(dot + 1).toLowerCase());
}

const NAME_WORD = /^[a-z][a-z0-9_.]*$/i;
const VERSION_START = /^(?:\d.*|build\d+.*|rc?\d+)$/is;
/** syft's secondary pattern, for names like "foo_1.2" or "foo.1.2": the first such suffix. */
const SECONDARY_VERSION = /[._-](\d.*|build\d+.*|rc?\d+)$/is;

export function archiveNameAndVersion(path: string): { name: string; version: string } {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  const stem = dot > 0 ? base.slice(0, dot) : base;
  const words = stem.split("-");
  let name = "";
  let version = "";
  for (let i = 1; i <= words.length; i++) {
    if (!NAME_WORD.test(words[i - 1]!)) break;
    const rest = words.slice(i).join("-");
    if (rest === "" || VERSION_START.test(rest)) {
      name = words.slice(0, i).join("-");
      version = rest;
      break;
    }
  }
  if (name !== "" && version === "") {
    const secondary = SECONDARY_VERSION.exec(name);
    if (secondary !== null) {
      version = secondary[1]!;
      name = name.slice(0, secondary.index);
    }
  }
  return { name, version };
}
