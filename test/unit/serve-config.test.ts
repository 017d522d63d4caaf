/** wharf serve's configuration: precedence, refusals, and that --help and docs/SERVE.md list every key. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { z } from "zod";
import { isWharfError } from "../../src/errors.ts";
import { ENVIRONMENT, loadServeConfig, ServeConfigSchema } from "../../src/registry/server/config.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Every leaf key of the schema, dotted ("http.tls.certificate"; arrays as "access[].account"). */
function leafKeys(schema: z.ZodType, prefix = ""): string[] {
  let s = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; element?: z.ZodType } };
  while (["optional", "default", "prefault", "nullable"].includes(s.def.type))
    s = s.def.innerType as typeof s;
  if (s.def.type === "object") {
    const shape = (s as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
    return Object.entries(shape).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
  }
  if (s.def.type === "array") return leafKeys(s.def.element as z.ZodType, `${prefix}[]`);
  return [prefix];
}

// An array of plain values is one key ("access[].actions"), not "access[].actions[]".
const keys = leafKeys(ServeConfigSchema)
  .map((k) => k.replace(/\[\]$/, ""))
  .filter((k) => k !== "version");

test("every config key and environment variable is in `wharf serve --help` and docs/SERVE.md", async () => {
  const help = (await wharf(["serve", "--help"])).stdout;
  const docs = readFileSync(new URL("../../docs/SERVE.md", import.meta.url), "utf8");
  assert.ok(keys.length > 15, `keys found: ${keys.join(" ")}`);
  for (const key of keys) {
    assert.ok(help.includes(key), `--help lacks ${key}`);
    const documented = key.startsWith("access[]") ? "`access`" : `\`${key}\``;
    assert.ok(docs.includes(documented), `docs/SERVE.md lacks ${documented}`);
  }
  for (const name of Object.keys(ENVIRONMENT)) {
    assert.ok(help.includes(name), `--help lacks ${name}`);
    assert.ok(docs.includes(name), `docs/SERVE.md lacks ${name}`);
  }
});

test("defaults, then the file, then the environment, then flags", () => {
  const dir = tempDir("wharf-serve-config-");
  const file = join(dir, "serve.yml");
  writeFileSync(
    file,
    "http:\n  addr: 0.0.0.0:6000\nlog:\n  level: warn\nstorage:\n  delete:\n    enabled: false\n",
  );
  assert.equal(loadServeConfig(undefined, [], {}).http.addr, "127.0.0.1:5000");
  const fromFile = loadServeConfig(file, [], {});
  assert.equal(fromFile.http.addr, "0.0.0.0:6000");
  assert.equal(fromFile.storage.delete.enabled, false);
  const fromEnv = loadServeConfig(file, [], {
    WHARF_SERVE_ADDR: "127.0.0.1:7000",
    WHARF_SERVE_DELETE_ENABLED: "true",
  });
  assert.equal(fromEnv.http.addr, "127.0.0.1:7000");
  assert.equal(fromEnv.storage.delete.enabled, true);
  assert.equal(fromEnv.log.level, "warn");
  const fromFlags = loadServeConfig(file, [[["http", "addr"], "127.0.0.1:8000"]], {
    WHARF_SERVE_ADDR: "127.0.0.1:7000",
  });
  assert.equal(fromFlags.http.addr, "127.0.0.1:8000");
});

test("refused: unknown keys, wrong types, bad YAML, a missing file; each names where", () => {
  const dir = tempDir("wharf-serve-config-bad-");
  const cases: [string, RegExp][] = [
    ["storage:\n  filesytem: {}\n", /storage: Unrecognized key: "filesytem"/],
    ["http:\n  maxconnections: many\n", /http\.maxconnections: /],
    ["log:\n  level: loud\n", /log\.level: /],
    ["access:\n  - account: bob\n    repository: x\n    actions: [fly]\n", /access\.0\.actions\.0: /],
    ["http: [\n", /config .*bad-4\.yml: /],
  ];
  for (const [i, [text, message]] of cases.entries()) {
    const file = join(dir, `bad-${i}.yml`);
    writeFileSync(file, text);
    assert.throws(
      () => loadServeConfig(file, [], {}),
      (err) => isWharfError(err, "SERVER_CONFIG_INVALID") && message.test(err.message),
      text,
    );
  }
  assert.throws(() => loadServeConfig(join(dir, "absent.yml"), [], {}), /cannot read config/);
});
