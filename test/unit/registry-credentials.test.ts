import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  credentialKey,
  DOCKER_HUB_CREDENTIAL_KEY,
  DockerCredentialStore,
  dockerConfigDir,
  hostOfKey,
  runCredentialHelper,
} from "../../src/registry/client/credentials.ts";
import { installCredentialHelper } from "../helpers/credential-helper.ts";
import { tempDir } from "../helpers/tmp.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A DOCKER_CONFIG directory holding `config` as config.json, and a store reading it. */
function storeWith(config: unknown, env: NodeJS.ProcessEnv = process.env) {
  const dir = tempDir("wharf-docker-config-");
  writeFileSync(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  return { dir, store: new DockerCredentialStore({ env: { ...env, DOCKER_CONFIG: dir } }) };
}

test("keys: Docker Hub's URL for every name of Docker Hub, host[:port] otherwise", () => {
  assert.equal(credentialKey("docker.io"), DOCKER_HUB_CREDENTIAL_KEY);
  assert.equal(credentialKey("index.docker.io"), DOCKER_HUB_CREDENTIAL_KEY);
  assert.equal(credentialKey("registry-1.docker.io"), DOCKER_HUB_CREDENTIAL_KEY);
  assert.equal(credentialKey("ghcr.io"), "ghcr.io");
  assert.equal(credentialKey("localhost:5000"), "localhost:5000");
  assert.equal(hostOfKey("https://myreg.example:5000/v1/"), "myreg.example:5000");
  assert.equal(hostOfKey("http://myreg.example"), "myreg.example");
});

test("config location: $DOCKER_CONFIG, else ~/.docker", () => {
  assert.equal(dockerConfigDir({ DOCKER_CONFIG: "/x/y", HOME: "/h" }), "/x/y");
  assert.equal(dockerConfigDir({ HOME: "/h" }), "/h/.docker");
  const home = tempDir("wharf-home-");
  const store = new DockerCredentialStore({ env: { HOME: home } });
  assert.equal(store.configPath, join(home, ".docker", "config.json"));
});

test("no config file, an empty one, or no entry: no credentials, no error", async () => {
  const dir = tempDir("wharf-docker-config-");
  const missing = new DockerCredentialStore({ env: { DOCKER_CONFIG: dir } });
  assert.equal(await missing.get("docker.io"), undefined);
  assert.equal(await storeWith("").store.get("docker.io"), undefined);
  assert.equal(
    await storeWith({ auths: { "other.example": { auth: b64("a:b") } } }).store.get("x.example"),
    undefined,
  );
  assert.equal(await storeWith({ auths: { "x.example": {} } }).store.get("x.example"), undefined);
});

test("auths: base64 auth, username/password fields, identitytoken", async () => {
  const { store } = storeWith({
    auths: {
      [DOCKER_HUB_CREDENTIAL_KEY]: { auth: b64("hubuser:hub:pass:with:colons") },
      "fields.example": { username: "u", password: "p" },
      "token.example:5000": { auth: b64("tu:tp"), identitytoken: "refresh-123" },
      "idonly.example": { identitytoken: "refresh-456" },
    },
  });
  assert.deepEqual(await store.get("docker.io"), { username: "hubuser", password: "hub:pass:with:colons" });
  assert.deepEqual(await store.get("index.docker.io"), {
    username: "hubuser",
    password: "hub:pass:with:colons",
  });
  assert.deepEqual(await store.get("fields.example"), { username: "u", password: "p" });
  assert.deepEqual(await store.get("token.example:5000"), {
    username: "tu",
    password: "tp",
    identityToken: "refresh-123",
  });
  assert.deepEqual(await store.get("idonly.example"), {
    username: "",
    password: "",
    identityToken: "refresh-456",
  });
});

test("auths entries written with a scheme or a path are found by their host", async () => {
  const { store } = storeWith({
    auths: {
      "https://legacy.example:5000/v1/": { auth: b64("l:1") },
      "http://plain.example": { auth: b64("p:2") },
      "https://index.docker.io/v2/": { auth: b64("hub:3") },
    },
  });
  assert.deepEqual(await store.get("legacy.example:5000"), { username: "l", password: "1" });
  assert.deepEqual(await store.get("plain.example"), { username: "p", password: "2" });
  assert.deepEqual(await store.get("docker.io"), { username: "hub", password: "3" });
  assert.equal(await store.get("legacy.example"), undefined);
});

test("malformed config.json or auth field: CREDENTIALS_CONFIG_INVALID naming the file", async () => {
  const broken = storeWith("{ not json");
  await assert.rejects(broken.store.get("docker.io"), (err) => {
    assert.ok(isWharfError(err, "CREDENTIALS_CONFIG_INVALID"));
    assert.match(err.message, /^error loading config file: .*config\.json: /);
    return true;
  });
  const badAuth = storeWith({ auths: { "x.example": { auth: "!!notbase64" } } });
  await assert.rejects(badAuth.store.get("x.example"), (err) =>
    isWharfError(err, "CREDENTIALS_CONFIG_INVALID"),
  );
  const noColon = storeWith({ auths: { "x.example": { auth: b64("nocolon") } } });
  await assert.rejects(noColon.store.get("x.example"), (err) =>
    isWharfError(err, "CREDENTIALS_CONFIG_INVALID"),
  );
});

test("credsStore: the helper gets the server URL on stdin; <token> means identity token", async () => {
  const helper = installCredentialHelper();
  helper.put(DOCKER_HUB_CREDENTIAL_KEY, "hubuser", "hubsecret");
  helper.put("tok.example:5000", "<token>", "identity-xyz");
  const { store } = storeWith(
    // The file's own entry is ignored once a helper is configured, as docker does.
    { credsStore: "wharftest", auths: { "tok.example:5000": { auth: b64("file:ignored") } } },
    helper.env,
  );
  assert.deepEqual(await store.get("docker.io"), { username: "hubuser", password: "hubsecret" });
  assert.deepEqual(await store.get("tok.example:5000"), {
    username: "",
    password: "",
    identityToken: "identity-xyz",
  });
  assert.equal(await store.get("absent.example"), undefined, "not found is not an error");
  assert.deepEqual(helper.log(), [
    `get ${DOCKER_HUB_CREDENTIAL_KEY}`,
    "get tok.example:5000",
    "get absent.example",
  ]);
});

test("credHelpers per registry take precedence over credsStore; failures read like docker's", async () => {
  const helper = installCredentialHelper();
  helper.put("mine.example", "me", "s3cret");
  const { store } = storeWith(
    { credsStore: "broken", credHelpers: { "mine.example": "wharftest", "nohelper.example": "absent" } },
    helper.env,
  );
  assert.deepEqual(await store.get("mine.example"), { username: "me", password: "s3cret" });
  await assert.rejects(store.get("other.example"), (err) => {
    assert.ok(isWharfError(err, "CREDENTIALS_HELPER"));
    assert.equal(err.message, "error getting credentials - err: exit status 2, out: `boom`");
    return true;
  });
  await assert.rejects(store.get("nohelper.example"), (err) => {
    assert.ok(isWharfError(err, "CREDENTIALS_HELPER"));
    assert.match(err.message, /docker-credential-absent": executable file not found in \$PATH/);
    return true;
  });
});

test("store and erase through a helper leave an empty auths entry, as docker login does", async () => {
  const helper = installCredentialHelper();
  const { dir, store } = storeWith({ credsStore: "wharftest", currentContext: "keep-me" }, helper.env);
  await store.store("docker.io", { username: "alice", password: "pw" });
  await store.store("tok.example", { username: "bob", password: "", identityToken: "idt" });
  assert.deepEqual(await store.get("docker.io"), { username: "alice", password: "pw" });
  assert.deepEqual(await store.get("tok.example"), { username: "", password: "", identityToken: "idt" });
  const saved = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.deepEqual(saved, {
    credsStore: "wharftest",
    currentContext: "keep-me",
    auths: { [DOCKER_HUB_CREDENTIAL_KEY]: {}, "tok.example": {} },
  });
  await store.erase("docker.io");
  assert.equal(await store.get("docker.io"), undefined);
  assert.ok(helper.log().includes(`erase ${DOCKER_HUB_CREDENTIAL_KEY}`));
  const after = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.deepEqual(Object.keys(after.auths), ["tok.example"]);
});

test("store and erase without a helper write base64 auth into config.json (mode 0600)", async () => {
  const dir = tempDir("wharf-docker-config-");
  const store = new DockerCredentialStore({ env: { DOCKER_CONFIG: dir } });
  await store.store("localhost:5000", { username: "u", password: "p:w" });
  const saved = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  assert.deepEqual(saved, { auths: { "localhost:5000": { auth: b64("u:p:w") } } });
  assert.equal(statSync(join(dir, "config.json")).mode & 0o777, 0o600);
  assert.deepEqual(await store.get("localhost:5000"), { username: "u", password: "p:w" });
  await store.erase("localhost:5000");
  assert.equal(await store.get("localhost:5000"), undefined);
});

test("runCredentialHelper: list, and an unknown action's failure", async () => {
  const helper = installCredentialHelper();
  assert.equal(await runCredentialHelper("wharftest", "list", "", helper.env), "{}\n");
  await assert.rejects(runCredentialHelper("broken", "store", "{}", helper.env), (err) => {
    assert.ok(isWharfError(err, "CREDENTIALS_HELPER"));
    assert.equal(err.message, "error storing credentials - err: exit status 2, out: `boom`");
    return true;
  });
});
