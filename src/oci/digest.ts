/**
 * Content digests ("sha256:<hex>"), following opencontainers/go-digest: parse and validate, compute,
 * and verify while streaming. Pure: node:crypto hashing only, no I/O.
 */
import type { Hash } from "node:crypto";
import { WharfError } from "../errors.ts";

/**
 * node:crypto, loaded on first use: commands that hash nothing (`wharf images`) start ~10 ms sooner.
 * Other modules of the project hash through this module rather than importing node:crypto.
 */
export function createHash(algorithm: string): Hash {
  return process.getBuiltinModule("node:crypto").createHash(algorithm);
}

/** A validated digest string, `algorithm:encoded`. */
export type Digest = string & { readonly __digest: unique symbol };

/** Hex length of each registered algorithm's encoded part (sha384 is registered as go-digest does). */
const ENCODED_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

export type Algorithm = "sha256" | "sha384" | "sha512";
export const CANONICAL_ALGORITHM: Algorithm = "sha256";

/** go-digest's DigestRegexp: how any digest, registered algorithm or not, must look. */
const DIGEST_SHAPE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** go-digest's algorithm-name rule (RegisterAlgorithm). */
const ALGORITHM_NAME = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/;
const LOWER_HEX = /^[a-f0-9]+$/;

export function isAlgorithmName(name: string): boolean {
  return ALGORITHM_NAME.test(name);
}

export function isSupportedAlgorithm(name: string): name is Algorithm {
  return Object.hasOwn(ENCODED_HEX_LENGTH, name);
}

/** Parses an algorithm name as a flag value would be (go-digest's Algorithm.Set). */
export function parseAlgorithm(name: string): Algorithm {
  if (!isSupportedAlgorithm(name)) {
    throw new WharfError("DIGEST_UNSUPPORTED", "unsupported digest algorithm", { algorithm: name });
  }
  return name;
}

type DigestProblem = "DIGEST_INVALID_FORMAT" | "DIGEST_INVALID_LENGTH" | "DIGEST_UNSUPPORTED";

const PROBLEM_MESSAGES: Readonly<Record<DigestProblem, string>> = {
  DIGEST_INVALID_FORMAT: "invalid checksum digest format",
  DIGEST_INVALID_LENGTH: "invalid checksum digest length",
  DIGEST_UNSUPPORTED: "unsupported digest algorithm",
};

/** What is wrong with `input` as a digest, if anything; no error object (isDigest is called often). */
export function digestProblem(input: string): DigestProblem | undefined {
  const colon = input.indexOf(":");
  if (colon <= 0 || colon + 1 === input.length) return "DIGEST_INVALID_FORMAT";
  const algorithm = input.slice(0, colon);
  const encoded = input.slice(colon + 1);
  const hexLength = ENCODED_HEX_LENGTH[algorithm];
  if (hexLength === undefined)
    return DIGEST_SHAPE.test(input) ? "DIGEST_UNSUPPORTED" : "DIGEST_INVALID_FORMAT";
  if (encoded.length !== hexLength) return "DIGEST_INVALID_LENGTH";
  if (!LOWER_HEX.test(encoded)) return "DIGEST_INVALID_FORMAT";
  return undefined;
}

/** Returns the error that `input` would raise as a digest, or undefined when it is valid. */
export function digestError(input: string): WharfError | undefined {
  const problem = digestProblem(input);
  return problem === undefined ? undefined : new WharfError(problem, PROBLEM_MESSAGES[problem], { input });
}

export function isDigest(input: string): input is Digest {
  return digestProblem(input) === undefined;
}

/** Parses and validates a digest; throws a WharfError with a DIGEST_* code. */
export function parseDigest(input: string): Digest {
  const err = digestError(input);
  if (err) throw err;
  return input as Digest;
}

export function digestAlgorithm(digest: Digest): Algorithm {
  return digest.slice(0, digest.indexOf(":")) as Algorithm;
}

export function digestEncoded(digest: Digest): string {
  return digest.slice(digest.indexOf(":") + 1);
}

/** The first 12 hex characters, as Docker shows IDs and layer keys. */
export function shortDigest(digest: Digest): string {
  return digestEncoded(digest).slice(0, 12);
}

export function digestBytes(data: Uint8Array | string, algorithm: Algorithm = CANONICAL_ALGORITHM): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}` as Digest;
}

/**
 * Incremental digester: feed chunks, then read the digest and the byte count. Used by every
 * streaming path so that verification never needs a second pass over the data.
 */
export class Digester {
  readonly algorithm: Algorithm;
  #hash: Hash;
  #size = 0;
  #result: Digest | undefined;

  constructor(algorithm: Algorithm = CANONICAL_ALGORITHM) {
    this.algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }

  get size(): number {
    return this.#size;
  }

  /** The digest of everything fed so far; no more chunks may follow. */
  digest(): Digest {
    this.#result ??= `${this.algorithm}:${this.#hash.digest("hex")}` as Digest;
    return this.#result;
  }
}

/**
 * Checks streamed content against an expected digest (and size, when known). Creating one for an
 * invalid or unsupported digest throws, as go-digest's Verifier would refuse it.
 */
export class Verifier {
  readonly expected: Digest;
  readonly expectedSize: number | undefined;
  readonly #digester: Digester;

  constructor(expected: string, expectedSize?: number) {
    this.expected = parseDigest(expected);
    this.expectedSize = expectedSize;
    this.#digester = new Digester(digestAlgorithm(this.expected));
  }

  update(chunk: Uint8Array): void {
    this.#digester.update(chunk);
    if (this.expectedSize !== undefined && this.#digester.size > this.expectedSize) {
      throw new WharfError(
        "SIZE_MISMATCH",
        `content is larger than the expected ${this.expectedSize} bytes for ${this.expected}`,
        { expected: this.expectedSize, digest: this.expected },
      );
    }
  }

  get size(): number {
    return this.#digester.size;
  }

  /** Throws SIZE_MISMATCH or DIGEST_MISMATCH unless the content seen so far is exactly what was expected. */
  verify(): void {
    if (this.expectedSize !== undefined && this.#digester.size !== this.expectedSize) {
      throw new WharfError(
        "SIZE_MISMATCH",
        `size mismatch for ${this.expected}: expected ${this.expectedSize} bytes, got ${this.#digester.size}`,
        { expected: this.expectedSize, actual: this.#digester.size, digest: this.expected },
      );
    }
    const actual = this.#digester.digest();
    if (actual !== this.expected) {
      throw new WharfError("DIGEST_MISMATCH", `digest mismatch: expected ${this.expected}, got ${actual}`, {
        expected: this.expected,
        actual,
      });
    }
  }
}
