import assert from "node:assert/strict";
import { test } from "node:test";
import { findChallenge, parseChallenges } from "../../src/registry/client/challenge.ts";

test("Bearer challenge of distribution's token auth", () => {
  const [c, ...rest] = parseChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  );
  assert.equal(rest.length, 0);
  assert.equal(c?.scheme, "bearer");
  assert.deepEqual(c?.params, {
    realm: "https://auth.docker.io/token",
    service: "registry.docker.io",
    scope: "repository:library/busybox:pull",
  });
});

test("Basic challenge; scheme and parameter names are case-insensitive, values kept", () => {
  const [c] = parseChallenges('BASIC Realm="Registry Realm"');
  assert.equal(c?.scheme, "basic");
  assert.deepEqual(c?.params, { realm: "Registry Realm" });
});

test("several challenges in one header, and several headers", () => {
  const one = parseChallenges('Basic realm="a", Bearer realm="https://r/t", service="s",Negotiate');
  assert.deepEqual(
    one.map((c) => c.scheme),
    ["basic", "bearer", "negotiate"],
  );
  assert.deepEqual(one[1]?.params, { realm: "https://r/t", service: "s" });
  const two = parseChallenges(['Basic realm="x"', 'Bearer realm="https://y/token"']);
  assert.equal(findChallenge(two, "Bearer")?.params.realm, "https://y/token");
  assert.equal(findChallenge(two, "basic")?.params.realm, "x");
  assert.equal(findChallenge(two, "digest"), undefined);
});

test("quoted strings: escapes, commas and equals signs inside", () => {
  const [c] = parseChallenges(
    'Bearer realm="https://h/t?a=1,b=2", error="insufficient_scope", error_description="say \\"hi\\", \\\\ ok"',
  );
  assert.equal(c?.params.realm, "https://h/t?a=1,b=2");
  assert.equal(c?.params.error, "insufficient_scope");
  assert.equal(c?.params.error_description, 'say "hi", \\ ok');
});

test("token values, whitespace around '=' and empty list elements", () => {
  const [c] = parseChallenges("Bearer  realm = https://h/t ,, service=reg ,");
  assert.deepEqual(c?.params, { realm: "https://h/t", service: "reg" });
});

test("token68 form", () => {
  const cs = parseChallenges("Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg==, Basic realm=x");
  assert.equal(cs[0]?.token68, "YIIBhwYGKwYBBQUCoIIBezCCAXeg==");
  assert.deepEqual(cs[0]?.params, {});
  assert.deepEqual(cs[1]?.params, { realm: "x" });
});

test("the first occurrence of a parameter wins", () => {
  const [c] = parseChallenges('Bearer realm="first", realm="second"');
  assert.equal(c?.params.realm, "first");
});

test("malformed input yields what can be used, never throws", () => {
  assert.deepEqual(parseChallenges(undefined), []);
  assert.deepEqual(parseChallenges(""), []);
  assert.deepEqual(parseChallenges("=junk"), []);
  const [c] = parseChallenges('Bearer realm="unterminated');
  assert.equal(c?.params.realm, "unterminated");
  const cs = parseChallenges('realm="orphan", Bearer realm="r"');
  assert.equal(cs.length, 1);
  assert.equal(cs[0]?.params.realm, "r");
});
