import assert from "node:assert/strict";
import { test } from "node:test";
import { isWharfError, WharfError } from "../../src/errors.ts";

test("WharfError carries a stable code and detail", () => {
  const err = new WharfError("REFERENCE_INVALID_FORMAT", "invalid reference format", { input: "A:b" });
  assert.equal(err.code, "REFERENCE_INVALID_FORMAT");
  assert.equal(err.detail.input, "A:b");
  assert.ok(isWharfError(err, "REFERENCE_INVALID_FORMAT"));
  assert.ok(!isWharfError(err, "USAGE"));
  assert.ok(!isWharfError(new Error("x")));
});
