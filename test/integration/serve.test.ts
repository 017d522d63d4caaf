/**
 * `wharf serve` with real clients, and the same protocol scenarios against Debian's distribution 2.8,
 * so that every difference in behaviour is visible (each one is a skip with its reason).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, test } from "node:test";
import { pushFixtures, startDistribution } from "../helpers/distribution.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";
import { tool } from "../helpers/tools.ts";
import { startWharfServe } from "../helpers/wharf-serve.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const MULTI_INDEX = "sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834";

const sha256 = (data: Uint8Array | string) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

// Started once for the file, at top level: `after` hooks stop them when the file ends.
const served = await startWharfServe();
const distribution = await startDistribution();
const targets = [
  { name: "wharf serve", host: served.host, isWharf: true },
  { name: "distribution 2.8", host: distribution.host, isWharf: false },
];
await Promise.all(targets.map((t) => pushFixtures(t.host)));

async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}

/** A raw request line, for paths fetch() would normalise. */
function rawStatus(host: string, path: string): Promise<number> {
  const [hostname, port] = host.split(":");
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port: Number(port), path, method: "GET" }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

for (const target of targets) {
  const base = `http://${target.host}/v2`;

  async function uploadBlob(repo: string, data: Uint8Array): Promise<string> {
    const digest = sha256(data);
    const res = await fetch(`${base}/${repo}/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: data,
    });
    assert.equal(res.status, 201, await res.text());
    return digest;
  }

  async function busyboxManifest(): Promise<{ bytes: Buffer; value: Record<string, unknown> }> {
    const res = await fetch(`${base}/busybox/manifests/latest`, { headers: { accept: OCI_MANIFEST } });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, value: JSON.parse(bytes.toString()) };
  }

  /** Mounts busybox:latest's config and layers into `repo`, so that its manifest can be put there. */
  async function adopt(repo: string): Promise<Buffer> {
    const { bytes, value } = await busyboxManifest();
    const digests = [
      (value.config as { digest: string }).digest,
      ...(value.layers as { digest: string }[]).map((l) => l.digest),
    ];
    for (const d of digests) {
      const m = await fetch(`${base}/${repo}/blobs/uploads/?mount=${d}&from=busybox`, { method: "POST" });
      await m.body?.cancel();
      assert.equal(m.status, 201);
    }
    return bytes;
  }

  describe(`registry protocol: ${target.name}`, () => {
    test("GET /v2/ answers 200 with the API version header", async () => {
      const res = await fetch(`${base}/`);
      await res.body?.cancel();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
    });

    test("skopeo: what went in comes out with the same digests (OCI, Docker v2s2, --all index)", async () => {
      const raw = await tool("skopeo", [
        "inspect",
        "--raw",
        "--tls-verify=false",
        `docker://${target.host}/busybox:multi`,
      ]);
      assert.equal(sha256(raw.stdout), MULTI_INDEX);
      const out = tempDir("wharf-serve-skopeo-out-");
      await tool("skopeo", [
        "copy",
        "--quiet",
        "--all",
        "--src-tls-verify=false",
        `docker://${target.host}/busybox:multi`,
        `oci:${out}:multi`,
      ]);
      const copied = await tool("skopeo", ["inspect", "--raw", `oci:${out}:multi`]);
      assert.equal(sha256(copied.stdout), MULTI_INDEX);
      const v2s2 = await tool("skopeo", [
        "inspect",
        "--tls-verify=false",
        `docker://${target.host}/busybox:v2s2`,
      ]);
      assert.match(v2s2.stdout, /"Architecture": "amd64"/);
    });

    test("wharf pull of the multi-platform index and of the Docker media types", async () => {
      const root = tempDir("wharf-serve-pull-");
      for (const ref of [`${target.host}/busybox:multi`, `${target.host}/busybox:v2s2`]) {
        const r = await wharf(["--root", root, "pull", ref]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
      }
      const check = await wharf(["--root", root, "system", "check"]);
      assert.equal(check.code, 0, check.stdout);
    });

    test("manifest GET and HEAD: the bytes as pushed, with type, digest and length", async () => {
      const { bytes } = await busyboxManifest();
      const get = await fetch(`${base}/busybox/manifests/latest`, { headers: { accept: OCI_MANIFEST } });
      const body = Buffer.from(await get.arrayBuffer());
      assert.ok(body.equals(bytes));
      assert.equal(get.headers.get("content-type"), OCI_MANIFEST);
      assert.equal(get.headers.get("docker-content-digest"), sha256(body));
      assert.equal(get.headers.get("content-length"), String(body.length));
      const head = await fetch(`${base}/busybox/manifests/${sha256(body)}`, {
        method: "HEAD",
        headers: { accept: OCI_MANIFEST },
      });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(body.length));
      assert.equal(head.headers.get("docker-content-digest"), sha256(body));
      const unknown = await fetch(`${base}/busybox/manifests/nosuchtag`);
      assert.equal(unknown.status, 404);
      assert.equal(await errorCode(unknown), "MANIFEST_UNKNOWN");
    });

    test("manifest PUT: refused for a missing blob and for a digest that is not its own", async () => {
      const { value } = await busyboxManifest();
      const missing = structuredClone(value) as { layers: { digest: string }[] };
      missing.layers[0]!.digest = sha256("not uploaded anywhere");
      const refused = await fetch(`${base}/put-checks/manifests/v1`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: JSON.stringify(missing),
      });
      assert.equal(refused.status, 400);
      assert.equal(await errorCode(refused), "MANIFEST_BLOB_UNKNOWN");
      const wrong = await fetch(`${base}/busybox/manifests/${sha256("something else")}`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: JSON.stringify(value),
      });
      assert.equal(wrong.status, 400);
      assert.equal(await errorCode(wrong), "DIGEST_INVALID");
    });

    test("blob GET with Range: 206 with Content-Range; past the end 416", async () => {
      const { value } = await busyboxManifest();
      const layer = (value.layers as { digest: string; size: number }[])[2]!;
      const whole = Buffer.from(await (await fetch(`${base}/busybox/blobs/${layer.digest}`)).arrayBuffer());
      assert.equal(sha256(whole), layer.digest);
      const part = await fetch(`${base}/busybox/blobs/${layer.digest}`, {
        headers: { range: "bytes=10-19" },
      });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 10-19/${layer.size}`);
      assert.ok(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(10, 20)));
      const past = await fetch(`${base}/busybox/blobs/${layer.digest}`, {
        headers: { range: `bytes=${layer.size + 10}-` },
      });
      await past.body?.cancel();
      assert.equal(past.status, 416);
    });

    test("chunked upload: ordered chunks, status, 416 out of order, digest checked at the end", async (t) => {
      const data = Buffer.from("0123456789abcdefghij".repeat(1000));
      const start = await fetch(`${base}/chunked/blobs/uploads/`, { method: "POST" });
      await start.body?.cancel();
      assert.equal(start.status, 202);
      let location = new URL(start.headers.get("location")!, base).href;
      const patch = async (from: number, to: number) =>
        fetch(location, {
          method: "PATCH",
          headers: { "content-type": "application/octet-stream", "content-range": `${from}-${to - 1}` },
          body: data.subarray(from, to),
        });
      const first = await patch(0, 8000);
      await first.body?.cancel();
      assert.equal(first.status, 202);
      assert.equal(first.headers.get("range"), "0-7999");
      location = new URL(first.headers.get("location")!, base).href;
      const outOfOrder = await patch(9000, 12000);
      await outOfOrder.body?.cancel();
      // distribution 2.8 ignores Content-Range and appends (202): the spec (and the conformance suite) want 416.
      if (target.isWharf) assert.equal(outOfOrder.status, 416);
      else {
        assert.equal(outOfOrder.status, 202);
        t.diagnostic("distribution 2.8 accepts an out-of-order chunk (202); wharf answers 416");
        return;
      }
      const status = await fetch(location);
      await status.body?.cancel();
      assert.equal(status.status, 204);
      assert.equal(status.headers.get("range"), "0-7999");
      const second = await patch(8000, data.length);
      await second.body?.cancel();
      assert.equal(second.status, 202);
      location = new URL(second.headers.get("location")!, base).href;
      const digest = sha256(data);
      const sep = location.includes("?") ? "&" : "?";
      const wrong = await fetch(`${location}${sep}digest=${sha256("other")}`, { method: "PUT" });
      assert.equal(wrong.status, 400);
      assert.equal(await errorCode(wrong), "DIGEST_INVALID");
      if (target.isWharf) {
        // distribution 2.8 ends the session on a failed PUT; wharf keeps the bytes for another try.
        const done = await fetch(`${location}${sep}digest=${digest}`, { method: "PUT" });
        await done.body?.cancel();
        assert.equal(done.status, 201);
        const head = await fetch(`${base}/chunked/blobs/${digest}`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-length"), String(data.length));
      }
    });

    test("upload sessions belong to their repository; DELETE cancels one", async () => {
      const start = await fetch(`${base}/owner-a/blobs/uploads/`, { method: "POST" });
      await start.body?.cancel();
      const location = start.headers.get("location")!;
      const uuid = start.headers.get("docker-upload-uuid")!;
      const stolen = await fetch(`${base}/owner-b/blobs/uploads/${uuid}`, {
        method: "PATCH",
        headers: { "content-type": "application/octet-stream" },
        body: "x",
      });
      assert.equal(stolen.status, 404);
      // distribution 2.8 names it BLOB_UPLOAD_INVALID; the session is refused either way.
      assert.equal(await errorCode(stolen), target.isWharf ? "BLOB_UPLOAD_UNKNOWN" : "BLOB_UPLOAD_INVALID");
      const cancel = await fetch(new URL(location, base), { method: "DELETE" });
      await cancel.body?.cancel();
      assert.equal(cancel.status, 204);
      const gone = await fetch(new URL(location, base));
      assert.equal(gone.status, 404);
      assert.equal(await errorCode(gone), "BLOB_UPLOAD_UNKNOWN");
    });

    test("cross-repository mount: 201 and the blob is in the new repository", async () => {
      const { value } = await busyboxManifest();
      const digest = (value.layers as { digest: string }[])[0]!.digest;
      const mount = await fetch(`${base}/mounted/blobs/uploads/?mount=${digest}&from=busybox`, {
        method: "POST",
      });
      await mount.body?.cancel();
      assert.equal(mount.status, 201);
      const head = await fetch(`${base}/mounted/blobs/${digest}`, { method: "HEAD" });
      assert.equal(head.status, 200);
    });

    test("tags list: sorted, paginated with n and last, Link to the next page", async (t) => {
      const bytes = await adopt("paged");
      for (const tag of ["e", "a", "d", "b", "c"]) {
        const put = await fetch(`${base}/paged/manifests/${tag}`, {
          method: "PUT",
          headers: { "content-type": OCI_MANIFEST },
          body: bytes,
        });
        await put.body?.cancel();
        assert.equal(put.status, 201);
      }
      const all = (await (await fetch(`${base}/paged/tags/list`)).json()) as { name: string; tags: string[] };
      if (!target.isWharf) {
        // distribution 2.8 lists tags in directory order and gets n/last wrong (the conformance suite agrees).
        assert.deepEqual([...all.tags].sort(), ["a", "b", "c", "d", "e"]);
        t.diagnostic(`distribution 2.8 lists tags unsorted: ${all.tags.join(",")}`);
        return;
      }
      assert.deepEqual(all, { name: "paged", tags: ["a", "b", "c", "d", "e"] });
      const page = await fetch(`${base}/paged/tags/list?n=2`);
      assert.deepEqual(((await page.json()) as { tags: string[] }).tags, ["a", "b"]);
      assert.match(page.headers.get("link") ?? "", /last=b.*rel="next"/);
      const next = await (await fetch(`${base}/paged/tags/list?n=2&last=b`)).json();
      assert.deepEqual((next as { tags: string[] }).tags, ["c", "d"]);
      const unknown = await fetch(`${base}/no-such-repo/tags/list`);
      assert.equal(unknown.status, 404);
      assert.equal(await errorCode(unknown), "NAME_UNKNOWN");
    });

    test("delete: a manifest by digest (its tags go too), then a blob", async () => {
      const { value } = await busyboxManifest();
      const config = value.config as { digest: string };
      const bytes = await adopt("deletable");
      const put = await fetch(`${base}/deletable/manifests/v1`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: bytes,
      });
      await put.body?.cancel();
      assert.equal(put.status, 201);
      const del = await fetch(`${base}/deletable/manifests/${sha256(bytes)}`, { method: "DELETE" });
      await del.body?.cancel();
      assert.equal(del.status, 202);
      const after = await fetch(`${base}/deletable/manifests/v1`);
      await after.body?.cancel();
      assert.equal(after.status, 404);
      const blobDel = await fetch(`${base}/deletable/blobs/${config.digest}`, { method: "DELETE" });
      await blobDel.body?.cancel();
      assert.equal(blobDel.status, 202);
      const head = await fetch(`${base}/deletable/blobs/${config.digest}`, { method: "HEAD" });
      assert.equal(head.status, 404);
      const still = await fetch(`${base}/busybox/blobs/${config.digest}`, { method: "HEAD" });
      assert.equal(still.status, 200, "other repositories keep the blob");
    });

    test("invalid names are refused; path tricks never reach storage", async (t) => {
      for (const path of [
        "/v2/../../etc/manifests/latest",
        "/v2/a/../../b/manifests/latest",
        "/v2/%2e%2e/manifests/x",
      ]) {
        const status = await rawStatus(target.host, path);
        // distribution's Go router redirects (301) to the cleaned path; wharf refuses outright.
        const refused = status >= 400 && status < 500;
        assert.ok(target.isWharf ? refused : refused || status === 301, `${path}: ${status}`);
      }
      const upper = await fetch(`${base}/Upper/tags/list`);
      if (!target.isWharf) {
        await upper.body?.cancel();
        t.skip("distribution's router answers 404 (no JSON error) for a name its grammar refuses");
        return;
      }
      assert.equal(upper.status, 400);
      assert.equal(await errorCode(upper), "NAME_INVALID");
    });

    test("referrers API: a manifest with a subject is listed by it, filtered by artifactType", async (t) => {
      if (!target.isWharf) {
        t.skip("distribution 2.8 predates the referrers API (distribution-spec 1.1)");
        return;
      }
      const { bytes } = await busyboxManifest();
      const subject = { mediaType: OCI_MANIFEST, digest: sha256(bytes), size: bytes.length };
      const empty = await uploadBlob("busybox", Buffer.from("{}"));
      const sbom = await uploadBlob("busybox", Buffer.from("an sbom"));
      const artifact = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: "application/vnd.example.sbom",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty, size: 2 },
        layers: [{ mediaType: "text/plain", digest: sbom, size: 7 }],
        subject,
        annotations: { "org.example.kind": "sbom" },
      };
      const body = JSON.stringify(artifact);
      const put = await fetch(`${base}/busybox/manifests/${sha256(body)}`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body,
      });
      await put.body?.cancel();
      assert.equal(put.status, 201);
      assert.equal(put.headers.get("oci-subject"), subject.digest);
      const list = await fetch(`${base}/busybox/referrers/${subject.digest}`);
      assert.equal(list.headers.get("content-type"), OCI_INDEX);
      const index = (await list.json()) as { manifests: { digest: string; artifactType: string }[] };
      assert.deepEqual(
        index.manifests.map((m) => [m.digest, m.artifactType]),
        [[sha256(body), "application/vnd.example.sbom"]],
      );
      const filtered = await fetch(
        `${base}/busybox/referrers/${subject.digest}?artifactType=application/other`,
      );
      assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
      assert.deepEqual(((await filtered.json()) as { manifests: unknown[] }).manifests, []);
    });

    test("a manifest over 4 MiB is refused", async (t) => {
      if (!target.isWharf) {
        t.skip("distribution 2.8 has no manifest size limit on PUT");
        return;
      }
      const huge = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        padding: "x".repeat(4 * 1024 * 1024),
      });
      const res = await fetch(`${base}/huge/manifests/latest`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: huge,
      });
      assert.equal(res.status, 413);
      assert.equal(await errorCode(res), "MANIFEST_INVALID");
    });
  });
}

describe("wharf serve operation", () => {
  test("/health answers; /metrics counts requests by route and status, and bytes", async () => {
    const health = await fetch(`http://${served.host}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const m = await fetch(`http://${served.host}/v2/busybox/manifests/latest`, {
      headers: { accept: OCI_MANIFEST },
    });
    await m.body?.cancel();
    const text = await (await fetch(`http://${served.host}/metrics`)).text();
    assert.match(
      text,
      /wharf_registry_http_requests_total\{method="GET",route="manifest",status="200"\} [1-9]/,
    );
    assert.match(text, /wharf_registry_http_request_duration_seconds_bucket\{/);
    assert.match(text, /wharf_registry_http_bytes_total\{direction="out"\} [1-9]/);
  });
});
