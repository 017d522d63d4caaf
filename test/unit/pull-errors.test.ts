/**
 * The wording dockerd gives a failed pull (moby distribution/errors.go TranslatePullError) for the
 * registry errors the integration tests' registries do not produce: NAME_UNKNOWN on the manifest
 * (distribution 2.8 answers MANIFEST_UNKNOWN there), and errors streamed after progress began.
 * The cases real registries do produce are compared with dockerd in
 * test/integration/registry-errors-docker.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { daemonError } from "../../src/cli/commands/image-support.ts";
import { WharfError } from "../../src/errors.ts";
import { parseNormalizedNamed } from "../../src/oci/reference.ts";
import { pullError } from "../../src/transport/pull-errors.ts";

const ref = parseNormalizedNamed("registry.example/team/app:v1");
const registryError = (code: string, message: string) =>
  new WharfError("REGISTRY_NOT_FOUND", `${code.toLowerCase().replaceAll("_", " ")}: ${message}`, {
    status: 404,
    errors: [{ code, message, detail: { name: "team/app" } }],
  });

test("NAME_UNKNOWN: repository NAME not found, the familiar name", () => {
  const err = daemonError(
    pullError(registryError("NAME_UNKNOWN", "repository name not known to registry"), ref),
  );
  assert.equal(
    (err as Error).message,
    "Error response from daemon: repository registry.example/team/app not found: name unknown: repository name not known to registry",
  );
  const hub = daemonError(pullError(registryError("NAME_UNKNOWN", "x"), parseNormalizedNamed("busybox")));
  assert.equal(
    (hub as Error).message,
    "Error response from daemon: repository busybox not found: name unknown: x",
  );
});

test("DENIED: the login hint; an error after progress began has no daemon prefix", () => {
  const denied = registryError("DENIED", "requested access to the resource is denied");
  assert.equal(
    (pullError(denied, ref) as Error).message,
    "pull access denied for registry.example/team/app, repository does not exist or may require 'docker login': " +
      "denied: requested access to the resource is denied",
  );
  const other = new WharfError("REGISTRY_UNAVAILABLE", "received unexpected HTTP status: 502 Bad Gateway");
  assert.equal(
    (daemonError(pullError(other, ref)) as Error).message,
    `Error response from daemon: ${other.message}`,
  );
  assert.equal(pullError(other, ref), other);
});
