/**
 * Go's path helpers as moby/patternmatcher and ignorefile use them on Linux (filepath.Clean,
 * filepath.Dir, strings.TrimSpace), written after Go's definitions: the matcher's results depend on
 * exactly how Go cleans and trims, so Node's path.normalize and String.prototype.trim (which
 * differ on "..", trailing slashes, U+0085 and U+FEFF) are not used.
 */

/** filepath.Clean on a "/"-separated path: the shortest equivalent path ("" -> "."). */
export function goClean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const element of path.split("/")) {
    if (element === "" || element === ".") continue;
    if (element === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(element);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** filepath.Dir: everything before the last "/", cleaned ("file" -> ".", "file/" -> "file"). */
export function goDir(path: string): string {
  return goClean(path.slice(0, path.lastIndexOf("/") + 1));
}

/** Unicode White_Space as Go's unicode.IsSpace reports it (no U+FEFF, unlike JavaScript's trim). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** strings.TrimSpace: leading and trailing Unicode white space removed. */
export function goTrimSpace(text: string): string {
  const chars = Array.from(text);
  let start = 0;
  let end = chars.length;
  while (start < end && GO_SPACE.test(chars[start]!)) start++;
  while (end > start && GO_SPACE.test(chars[end - 1]!)) end--;
  return chars.slice(start, end).join("");
}
