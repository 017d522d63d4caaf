import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ProgressPrinter, progressText } from "../../src/cli/progress.ts";
import { DOCKER_REFERENCE_DIR } from "../helpers/docker-reference.ts";

function capture(isTTY: boolean, columns = 0) {
  let text = "";
  return {
    out: {
      isTTY,
      columns,
      write: (t: string) => {
        text += t;
      },
    },
    text: () => text,
  };
}

test("progress numbers as Docker prints them, with a bar only on wide terminals", () => {
  assert.equal(progressText(447_500, 41_590_000, 0), " 447.5kB/41.59MB");
  assert.equal(progressText(34_200_000, 41_590_000, 0), "  34.2MB/41.59MB");
  assert.equal(
    progressText(20_795_000, 41_590_000, 120),
    `[${"=".repeat(25)}>${" ".repeat(25)}]   20.8MB/41.59MB`,
  );
  assert.equal(progressText(5, 3, 0), "      5B", "a current past the total drops the total");
});

test("on a terminal, layer lines are redrawn in place exactly as docker's jsonmessage does", () => {
  const { out, text } = capture(true);
  const printer = new ProgressPrinter(out);
  printer.layer("b210b9c9ee95", "Pulling fs layer");
  printer.layer("12b2f791aa99", "Pulling fs layer");
  printer.layer("cd4db4c5eece", "Pulling fs layer");
  printer.layer("12b2f791aa99", "Downloading", 447_500, 41_590_000);
  const expected =
    "\n\x1b[1A\x1b[2K\rb210b9c9ee95: Pulling fs layer \r\x1b[1B" +
    "\n\x1b[1A\x1b[2K\r12b2f791aa99: Pulling fs layer \r\x1b[1B" +
    "\n\x1b[1A\x1b[2K\rcd4db4c5eece: Pulling fs layer \r\x1b[1B" +
    "\x1b[2A\x1b[2K\r12b2f791aa99: Downloading  447.5kB/41.59MB\r\x1b[2B";
  assert.equal(text(), expected);
  // The same byte sequence stands in Docker's own capture.
  const raw = readFileSync(`${DOCKER_REFERENCE_DIR}34-pull-nodeapp-tty.raw`, "latin1");
  assert.ok(
    raw.replaceAll("\r\n", "\n").includes(expected.slice(1).replace(/\n/g, "\r\n").replaceAll("\r\n", "\n")),
  );
});

test("without a terminal, each status change is one plain line and byte counts are left out", () => {
  const { out, text } = capture(false);
  const printer = new ProgressPrinter(out);
  printer.layer("2800f364f59f", "Pulling fs layer");
  printer.layer("2800f364f59f", "Downloading", 100, 200);
  printer.layer("2800f364f59f", "Download complete");
  assert.equal(text(), "2800f364f59f: Pulling fs layer\n2800f364f59f: Download complete\n");
});
