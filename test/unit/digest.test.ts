import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isWharfError } from "../../src/errors.ts";
import {
  digestBytes,
  digestError,
  isAlgorithmName,
  parseAlgorithm,
  parseDigest,
  Verifier,
} from "../../src/oci/digest.ts";
import { loadCorpus } from "../corpus.ts";

interface DigestCase {
  id: number;
  suite: string;
  kind: "parse" | "fromBytes" | "algorithmSet" | "algorithmName" | "verifier";
  input?: string;
  valid?: boolean;
  algorithm?: string;
  inputBytesHex?: string;
  registeredAlgorithms?: string[];
  expect?: { algorithm?: string; encoded?: string; digest?: string; error?: { kind: string } };
  error?: { kind: string; message: string };
}

const CODE_OF_KIND: Record<string, string> = {
  invalid_format: "DIGEST_INVALID_FORMAT",
  invalid_length: "DIGEST_INVALID_LENGTH",
  unsupported: "DIGEST_UNSUPPORTED",
};

// Deliberate difference: blake3 is a separate, optional go-digest module and node:crypto has no
// blake3; OCI registries and images use sha256/sha512, so wharf does not register it.
const needsBlake3 = (c: DigestCase) =>
  c.algorithm === "blake3" || (c.registeredAlgorithms?.includes("blake3") ?? false);

describe("corpus/digest.json", () => {
  for (const c of loadCorpus<DigestCase[]>("digest.json")) {
    const name = `#${c.id} ${c.suite} ${c.kind} ${JSON.stringify(c.input ?? c.inputBytesHex)}`;
    const skip = needsBlake3(c) ? "blake3 is not registered in wharf (see comment above)" : false;
    test(name, { skip }, () => {
      switch (c.kind) {
        case "parse":
          if (c.valid) {
            const d = parseDigest(c.input!);
            assert.equal(d, c.input);
            assert.equal(d.split(":")[0], c.expect!.algorithm);
            assert.equal(d.split(":")[1], c.expect!.encoded);
          } else {
            const err = digestError(c.input!);
            assert.ok(err, "expected an error");
            assert.equal(err.code, CODE_OF_KIND[c.error!.kind]);
            assert.equal(err.message, c.error!.message);
          }
          return;
        case "fromBytes":
          assert.equal(
            digestBytes(Buffer.from(c.inputBytesHex!, "hex"), parseAlgorithm(c.algorithm!)),
            c.expect!.digest,
          );
          return;
        case "algorithmSet":
          if (c.expect!.error) {
            assert.throws(
              () => parseAlgorithm(c.input!),
              (e) => isWharfError(e, "DIGEST_UNSUPPORTED"),
            );
          } else {
            assert.equal(parseAlgorithm(c.input!), c.expect!.algorithm);
          }
          return;
        case "algorithmName":
          assert.equal(isAlgorithmName(c.input!), c.valid);
          return;
        case "verifier":
          // go-digest panics; wharf refuses with the typed parse error instead.
          assert.throws(
            () => new Verifier(c.input!),
            (e) => isWharfError(e) && e.code.startsWith("DIGEST_"),
          );
          return;
      }
    });
  }
});

describe("Verifier", () => {
  const data = Buffer.from("hello wharf");
  const good = digestBytes(data);
  test("accepts exact content", () => {
    const v = new Verifier(good, data.length);
    v.update(data.subarray(0, 4));
    v.update(data.subarray(4));
    v.verify();
  });
  test("rejects other content", () => {
    const v = new Verifier(good, data.length);
    v.update(Buffer.from("hello world"));
    assert.throws(
      () => v.verify(),
      (e) => isWharfError(e, "DIGEST_MISMATCH"),
    );
  });
  test("rejects content longer than the expected size as soon as it is seen", () => {
    const v = new Verifier(good, 3);
    assert.throws(
      () => v.update(data),
      (e) => isWharfError(e, "SIZE_MISMATCH"),
    );
  });
  test("rejects short content", () => {
    const v = new Verifier(good, data.length);
    v.update(data.subarray(0, 2));
    assert.throws(
      () => v.verify(),
      (e) => isWharfError(e, "SIZE_MISMATCH"),
    );
  });
  test("sha512", () => {
    const d = digestBytes(data, "sha512");
    const v = new Verifier(d);
    v.update(data);
    v.verify();
  });
});
