/** The wharf binary as a person meets it: help, version, one-line errors and Docker's exit codes. */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Store } from "../../src/store/index.ts";
import { FIXTURES_DIR } from "../corpus.ts";
import { freePort, waitForRegistry } from "../helpers/distribution.ts";
import { importLayoutImage } from "../helpers/import-layout.ts";
import { WHARF_MAIN, wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

test("--help lists the commands in docker's layout", async () => {
  const r = await wharf(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^Usage: {2}wharf \[OPTIONS\] COMMAND\n/);
  assert.match(r.stdout, /\n {2}system {6}Manage the local store\n/);
});

test("version and --version print the package version", async () => {
  const r = await wharf(["version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, new RegExp(`^wharf version ${pkg.version.replaceAll(".", "\\.")}\\n`));
  assert.match(r.stdout, /OS\/Arch: linux\/(amd64|arm64)/);
  assert.equal((await wharf(["--version"])).stdout.trim(), pkg.version);
});

describe("the built bundle (dist/bin/wharf.js), run as an installed wharf is", () => {
  const bin = fileURLToPath(new URL("../../dist/bin/wharf.js", import.meta.url));
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
  const root = tempDir("wharf-bundle-");
  const run = (args: string[]) => spawnSync(bin, ["--root", root, ...args], { encoding: "utf8", env });

  test("its shebang carries the V8 flags and `version` answers", (t) => {
    if (!existsSync(bin)) {
      t.skip("dist/ not built (npm ci builds it through prepare)");
      return;
    }
    assert.match(
      readFileSync(bin, "utf8").split("\n")[0]!,
      /^#!\/usr\/bin\/env -S node --max-semi-space-size=1$/,
    );
    const r = run(["version"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wharf version ${pkg.version.replaceAll(".", "\\.")}\\n`));
  });

  test("wharf serve (fastify, pino and the other CommonJS dependencies inside the bundle)", async (t) => {
    if (!existsSync(bin)) {
      t.skip("dist/ not built");
      return;
    }
    const host = `127.0.0.1:${await freePort()}`;
    const child = spawn(bin, ["serve", "--addr", host, "--storage", tempDir("wharf-bundle-serve-")], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (d) => {
      output += d;
    });
    child.stderr?.on("data", (d) => {
      output += d;
    });
    try {
      await waitForRegistry(host, child, () => output);
      const metrics = await fetch(`http://${host}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /wharf_registry_http_requests_total/);
    } finally {
      child.kill("SIGTERM");
    }
  });

  // Each command's work is a lazily loaded chunk of the bundle: every one must load and answer.
  const cases: [string[], number, RegExp][] = [
    [["images"], 0, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE\n$/],
    [["image", "ls", "-q"], 0, /^$/],
    [["inspect", "nothere"], 1, /No such object: nothere/],
    [["history", "nothere"], 1, /No such image: nothere/],
    [["tag", "nothere", "other"], 1, /No such image: nothere/],
    [["rmi", "nothere"], 1, /No such image: nothere/],
    [["image", "prune", "-f"], 0, /Total reclaimed space: 0B/],
    [["system", "df"], 0, /^TYPE +TOTAL/],
    [["system", "check"], 0, /no problems/],
    [["pull", "127.0.0.1:1/nothere:latest"], 1, /connection refused/],
    [["manifest", "inspect", "127.0.0.1:1/nothere:latest"], 1, /connection refused/],
    [["manifest", "rm", "127.0.0.1:1/nolist"], 1, /^No such manifest: 127\.0\.0\.1:1\/nolist:latest\n$/],
    [["manifest", "create", "127.0.0.1:1/l", "127.0.0.1:1/i"], 1, /connection refused/],
    [["logout", "127.0.0.1:1"], 0, /^Removing login credentials for 127\.0\.0\.1:1\n$/],
    [["login", "127.0.0.1:1", "--password-stdin"], 1, /requires --username/],
  ];
  for (const [args, code, output] of cases) {
    test(`wharf ${args.join(" ")}`, (t) => {
      if (!existsSync(bin)) {
        t.skip("dist/ not built");
        return;
      }
      const r = run(args);
      assert.equal(r.status, code, r.stderr);
      assert.match(r.stdout + r.stderr, output);
    });
  }
});

test("an unknown flag is docker's flag error and exit 125; an unknown command, docker's line and exit 1", async () => {
  const flag = await wharf(["system", "check", "--bogus"]);
  assert.equal(flag.code, 125);
  assert.equal(
    flag.stderr,
    "unknown flag: --bogus\n\nUsage:  wharf system check\n\nRun 'wharf system check --help' for more information\n",
  );
  const command = await wharf(["frobnicate"]);
  assert.equal(command.code, 1);
  assert.equal(
    command.stderr,
    "wharf: unknown command: wharf frobnicate\n\nRun 'wharf --help' for more information\n",
  );
});

test("system check: a fresh store passes; a corrupted blob fails with one line naming it", async () => {
  const root = tempDir();
  const store = await Store.open({ root });
  const image = await importLayoutImage(store, join(FIXTURES_DIR, "oci/busybox"), {
    tag: "docker.io/library/busybox:latest",
  });
  store.close();
  const ok = await wharf(["--root", root, "system", "check"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "checked 5 blobs and 1 images: no problems\n");

  appendFileSync(join(root, "blobs/sha256", image.id.slice(7)), "tampered");
  const bad = await wharf(["system", "check", "--root", root]);
  assert.equal(bad.code, 1);
  const lines = bad.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(
    lines[0]!,
    new RegExp(`^blob ${image.id}: content is corrupt \\(hashes to sha256:[a-f0-9]{64}\\)$`),
  );
  assert.equal(lines[1], "checked 5 blobs and 1 images: 1 problem(s)");
});

test("WHARF_ROOT chooses the store when --root is absent", async () => {
  const root = tempDir();
  const r = spawnSync(process.execPath, [WHARF_MAIN, "system", "check"], {
    env: { ...process.env, WHARF_ROOT: root },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(readFileSync(join(root, "oci-layout"), "utf8")), {
    imageLayoutVersion: "1.0.0",
  });
});
