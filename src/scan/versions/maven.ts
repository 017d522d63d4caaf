/**
 * Maven artifact versions, in the order of Maven's ComparableVersion.
 *
 * Ported by hand from apache/maven 3.9.x maven-artifact ComparableVersion.java (the release line
 * Maven ships; 4.0 is still a release candidate): the lower-cased version is cut at ".", "-" and
 * at every switch between digits and letters into numbers, qualifiers and nested lists (a "-" or
 * a digit/letter switch opens a sub-list), trailing "null" items (0, "", "final", "ga",
 * "release", empty lists) are dropped, and the trees compare item by item. Qualifiers order
 * alpha < beta < milestone < rc = cr < snapshot < "" = final = ga = release < sp < anything else
 * (alphabetical); a1/b1/m1 mean alpha-1/beta-1/milestone-1. Java's int, long and BigInteger
 * items become one number kind: their sizes never overlap, so the order is the same. Digits are
 * ASCII only, as in Maven 4. Every string has an order.
 */
import { compareStrings, isAsciiDigit } from "./digits.ts";

type Item = { kind: "number"; value: bigint } | { kind: "qualifier"; value: string } | ListItem;
interface ListItem {
  kind: "list";
  items: Item[];
}

const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Readonly<Record<string, string>> = { ga: "", final: "", release: "", cr: "rc" };
const SHORT_QUALIFIERS: Readonly<Record<string, string>> = { a: "alpha", b: "beta", m: "milestone" };
// What a qualifier compares as: its rank among QUALIFIERS, or after all of them alphabetically.
const RELEASE_RANK = String(QUALIFIERS.indexOf(""));

function rankOf(qualifier: string): string {
  const i = QUALIFIERS.indexOf(qualifier);
  return i < 0 ? `${QUALIFIERS.length}-${qualifier}` : String(i);
}

function qualifier(text: string, followedByDigit: boolean): Item {
  const expanded = followedByDigit ? (SHORT_QUALIFIERS[text] ?? text) : text;
  return { kind: "qualifier", value: ALIASES[expanded] ?? expanded };
}

function number(digits: string): Item {
  return { kind: "number", value: BigInt(digits === "" ? "0" : digits) };
}

function isNull(item: Item): boolean {
  if (item.kind === "number") return item.value === 0n;
  if (item.kind === "qualifier") return item.value === "";
  return item.items.length === 0;
}

/** Drops trailing null items, looking through trailing sub-lists (ListItem.normalize). */
function normalize(list: ListItem): void {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const item = list.items[i]!;
    if (isNull(item)) list.items.splice(i, 1);
    else if (item.kind !== "list") break;
  }
}

function parseMaven(version: string): ListItem {
  const text = version.toLowerCase();
  const root: ListItem = { kind: "list", items: [] };
  const opened: ListItem[] = [root];
  let list = root;
  const openList = (): void => {
    const sub: ListItem = { kind: "list", items: [] };
    list.items.push(sub);
    opened.push(sub);
    list = sub;
  };
  const item = (digits: boolean, part: string): Item => (digits ? number(part) : qualifier(part, false));
  let inDigits = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "." || c === "-") {
      list.items.push(i === start ? number("0") : item(inDigits, text.slice(start, i)));
      start = i + 1;
      if (c === "-") openList();
    } else if (isAsciiDigit(c)) {
      if (!inDigits && i > start) {
        // A qualifier followed by digits ("rc1"): .X1 reads as -X1, and the number goes below it.
        if (list.items.length > 0) openList();
        list.items.push(qualifier(text.slice(start, i), true));
        start = i;
        openList();
      }
      inDigits = true;
    } else {
      if (inDigits && i > start) {
        list.items.push(number(text.slice(start, i)));
        start = i;
        openList();
      }
      inDigits = false;
    }
  }
  if (text.length > start) {
    if (!inDigits && list.items.length > 0) openList();
    list.items.push(item(inDigits, text.slice(start)));
  }
  // Innermost lists first, so a list left empty is then dropped from its parent.
  for (let i = opened.length - 1; i >= 0; i--) normalize(opened[i]!);
  return root;
}

/** One item against another or against nothing (undefined), as the Item.compareTo methods do. */
function compareItems(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case "number":
      if (b === undefined) return a.value === 0n ? 0 : 1;
      if (b.kind === "number") return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return 1;
    case "qualifier":
      if (b === undefined) return compareStrings(rankOf(a.value), RELEASE_RANK);
      if (b.kind === "qualifier") return compareStrings(rankOf(a.value), rankOf(b.value));
      return -1;
    case "list":
      if (b === undefined) {
        for (const item of a.items) {
          const r = compareItems(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === "number") return -1;
      if (b.kind === "qualifier") return 1;
      for (let i = 0; i < Math.max(a.items.length, b.items.length); i++) {
        const left = a.items[i];
        const right = b.items[i];
        const r =
          left === undefined
            ? right === undefined
              ? 0
              : -compareItems(right, undefined)
            : compareItems(left, right);
        if (r !== 0) return r;
      }
      return 0;
  }
}

export function compareMaven(a: string, b: string): number {
  return compareItems(parseMaven(a), parseMaven(b));
}
