/**
 * What the image commands share: Docker's error wording, `--filter` flags, the store with its
 * images, Go's json.Indent and the y/N prompt.
 *
 * "Error response from daemon: ": docker prints this before every error its daemon returns, and
 * users' scripts and eyes know the lines by it (`Error response from daemon: No such image: x:latest`,
 * `... conflict: unable to delete ...`). wharf has no daemon, but what it does in-process is what the
 * daemon does for docker, so its errors from those operations keep Docker's line byte for byte. The
 * library's WharfError messages themselves carry no prefix; only these commands add it, and only to
 * the errors Docker's daemon would have returned (not to the client-side checks docker makes first).
 * pull (pull-errors.ts: not once progress has been sent) and login go through the daemon too;
 * `docker manifest` talks to registries from the CLI itself, so its errors have no prefix.
 */
import type { Command } from "commander";
import { isWharfError, messageOf, WharfError } from "../../errors.ts";
import { type Filters, newFilters, parseFilterFlag } from "../../images/filters.ts";
import { type LocalImage, loadImages } from "../../images/model.ts";
import type { Store } from "../../store/store.ts";
import { openStore } from "../context.ts";
import { usageError } from "../exit.ts";

export const DAEMON_PREFIX = "Error response from daemon: ";

/** The error as docker prints one its daemon returned. */
export function daemonError(err: unknown): unknown {
  if (!isWharfError(err) || err.message.startsWith(DAEMON_PREFIX)) return err;
  return new WharfError(err.code, `${DAEMON_PREFIX}${err.message}`, err.detail, { cause: err });
}

/** Runs what docker's daemon would run; its errors read as the daemon's. */
export async function daemon<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw daemonError(err);
  }
}

export { messageOf };

/** Parses `--filter` values as docker's FilterOpt does; a bad one is a usage error (exit 125). */
export function parseFilters(
  values: readonly string[] | undefined,
  commandPath: string,
  flag: string,
): Filters {
  const filters = newFilters();
  for (const value of values ?? []) {
    try {
      parseFilterFlag(value, filters);
    } catch (err) {
      throw usageError(`invalid argument "${value}" for "${flag}" flag: ${messageOf(err)}`, commandPath);
    }
  }
  return filters;
}

/** Opens the store, runs `fn`, closes the store. */
export async function withStore<T>(command: Command, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(command);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Every image, grouped by ID, with configs and Docker's sizes. */
export function imagesOf(store: Store): Promise<LocalImage[]> {
  return loadImages(store);
}

/**
 * Go's json.Indent(dst, src, "", indent) over compact JSON: empty objects and arrays stay `{}` and
 * `[]`, a space follows each colon.
 */
export function indentJSON(src: string, indent: string): string {
  let out = "";
  let depth = 0;
  let needIndent = false;
  let inString = false;
  let escaped = false;
  const newline = () => `\n${indent.repeat(depth)}`;
  for (const c of src) {
    if (inString) {
      out += c;
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (needIndent && c !== "]" && c !== "}") {
      needIndent = false;
      depth++;
      out += newline();
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case "{":
      case "[":
        needIndent = true;
        out += c;
        break;
      case ",":
        out += c + newline();
        break;
      case ":":
        out += ": ";
        break;
      case "}":
      case "]":
        if (needIndent) needIndent = false;
        else {
          depth--;
          out += newline();
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/**
 * docker's prompt.Confirm: prints `message [y/N] ` on stdout and reads one line of stdin (a terminal
 * or not); only "y" or "Y" (spaces trimmed) confirms. End of input declines.
 */
export async function confirm(message: string): Promise<boolean> {
  process.stdout.write(`${message} [y/N] `);
  // Loaded here: readline is four of node's own modules that no other image command needs.
  const { createInterface } = await import("node:readline");
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    rl.once("line", (line) => {
      answered = true;
      rl.close();
      resolve(line.trim().toLowerCase() === "y");
    });
    rl.once("close", () => {
      if (!answered) resolve(false);
    });
  });
}
