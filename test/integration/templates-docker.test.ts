/**
 * `--format` templates of `inspect`, `images` and `history` side by side with Docker itself (docker
 * CLI 28 against a dockerd 20.10 of the test's own): the same images in both (one archive that
 * `docker save` wrote, loaded by `docker load` and `wharf load`), the same format strings, and
 * stdout, stderr and exit code compared exactly. The cases are those where Go's types show: nil
 * pointers, slices and maps, map[string]struct{}, time.Duration, embedded structs, zero values of
 * `index`, and docker's fallback from the typed object to the raw JSON with missingkey=error.
 *
 * Left out on purpose: what the two daemons' APIs differ in (dockerd 20.10 answers API 1.41 with
 * Container, ContainerConfig and VirtualSize, wharf API 1.47 without them; GraphDriver is overlay2's
 * there and empty here) and relative times ("2 minutes ago" may tick between the two runs).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { type Dockerd, type RunResult, startDockerd } from "../helpers/dockerd.ts";
import { wharf } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/tmp.ts";

const FIXTURES = join(import.meta.dirname, "../../../shared/fixtures/oci");

// Started once for the file (its helper stops it when the file finishes).
const dockerd: Dockerd = await startDockerd({ insecureRegistries: [] });
const work = tempDir("wharf-templates-docker-");
const root = join(work, "root");

/** An image with every config field a template can trip on: ports, volumes, healthcheck, onbuild, shell. */
const DOCKERFILE = `FROM busybox:latest
LABEL a=b c="d e"
EXPOSE 80 53/udp
VOLUME /data /logs
HEALTHCHECK --interval=1m30s --timeout=3s --retries=2 CMD ["true"]
ONBUILD RUN echo hi
SHELL ["/bin/sh", "-c"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh"]
USER nobody
WORKDIR /app
`;

async function wharfOk(args: string[]): Promise<void> {
  const r = await wharf(["--root", root, ...args]);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}: ${r.stderr}`);
}

before(async () => {
  // busybox from the fixture into docker (through wharf save), then a richer image built on it.
  await wharfOk(["copy", "-q", `oci:${FIXTURES}/busybox:latest`, "busybox:latest"]);
  const busyboxTar = join(work, "busybox.tar");
  await wharfOk(["save", "-o", busyboxTar, "busybox:latest"]);
  await dockerd.dockerOk(["load", "-q", "-i", busyboxTar]);
  const context = join(work, "context");
  mkdirSync(context);
  writeFileSync(join(context, "Dockerfile"), DOCKERFILE);
  await dockerd.dockerOk(["build", "-q", "-t", "rich:latest", context], {
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
  });
  // Saved and loaded again, so that docker's LastTagTime is a load's (none), as wharf's is.
  const richTar = join(work, "rich.tar");
  await dockerd.dockerOk(["save", "-o", richTar, "rich:latest"]);
  await dockerd.dockerOk(["rmi", "rich:latest"]);
  await dockerd.dockerOk(["load", "-q", "-i", richTar]);
  await wharfOk(["load", "-q", "-i", richTar]);
});

interface Case {
  /** The command and its arguments before --format (`image inspect`, `images`, ...). */
  command: string[];
  format: string;
  /** Image names after the format. */
  names: string[];
  /** Applied to both outputs before comparing (e.g. to drop a relative time). */
  normalise?: (out: string) => string;
}

/** Drops `"CreatedSince":"..."` from JSON lines: a relative time may change between the two runs. */
const withoutCreatedSince = (out: string) => out.replace(/"CreatedSince":"[^"]*",/g, "");

const inspect = (format: string, ...names: string[]): Case => ({
  command: ["image", "inspect"],
  format,
  names: names.length > 0 ? names : ["rich", "busybox"],
});

const CASES: Case[] = [
  // map[string]struct{}: values print {} (not map[]), a nil one marshals as null.
  inspect("{{.Config.ExposedPorts}}"),
  inspect("{{json .Config.ExposedPorts}}"),
  inspect("{{range $p, $v := .Config.ExposedPorts}}{{$p}}={{$v}} {{end}}"),
  inspect("{{range .Config.ExposedPorts}}x{{end}}"),
  inspect('{{index .Config.ExposedPorts "80/tcp"}}'),
  inspect("{{.Config.Volumes}} {{json .Config.Volumes}} {{len .Config.Volumes}}"),
  // *HealthcheckConfig: nil prints <nil>; durations print through String.
  inspect("{{.Config.Healthcheck}}"),
  inspect("{{json .Config.Healthcheck}}"),
  inspect("{{if .Config.Healthcheck}}yes{{else}}no{{end}}"),
  inspect("{{with .Config.Healthcheck}}{{.Test}} {{.Retries}}{{else}}none{{end}}"),
  inspect('{{printf "%+v" .Config.Healthcheck}}', "rich"),
  inspect(
    '{{printf "%d %s %v" .Config.Healthcheck.Interval .Config.Healthcheck.Timeout .Config.Healthcheck.StartPeriod}}',
    "rich",
  ),
  // A field of a nil pointer fails on the typed object; the raw JSON then has no such key.
  inspect("{{.Config.Healthcheck.Interval}}"),
  inspect("{{index .Config.Healthcheck.Test 0}}"),
  inspect("{{.Config.Healthcheck.Nope}}"),
  // Nil slices: [] printed, null marshalled.
  inspect("{{.Config.Entrypoint}} {{.Config.Cmd}} {{.Config.OnBuild}} {{.Config.Shell}}"),
  inspect("{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{json .Config.OnBuild}} {{json .Config.Shell}}"),
  inspect("{{.Descriptor}} {{json .Descriptor}} {{.Manifests}} {{json .Manifests}} {{len .Manifests}}"),
  // map[string]string: index of a missing key is "", a missing field <no value>.
  inspect('{{index .Config.Labels "a"}}|{{index .Config.Labels "zz"}}|{{.Config.Labels.zz}}'),
  inspect(
    '{{printf "%T %T %T %T %T %T %T" .Config.Labels .Config.Healthcheck .Config.ExposedPorts .Config.Volumes .Descriptor .Manifests .Metadata.LastTagTime}}',
  ),
  // time.Time prints as Go's String, marshals as RFC 3339.
  inspect("{{.Metadata}} {{.Metadata.LastTagTime}} {{json .Metadata.LastTagTime}} {{json .Metadata}}"),
  // The embedded structs of DockerOCIImageConfig (busybox: no pointer inside, so no address printed).
  inspect("{{.Config}}", "busybox"),
  inspect('{{printf "%v" .Config}}', "busybox"),
  inspect("{{.Config.DockerOCIImageConfigExt}} [{{.Config.ImageConfig.User}}]", "busybox"),
  inspect("{{json .Config}}"),
  inspect("{{.RootFS}} {{json .RootFS}} {{.Size}} {{.Os}}/{{.Architecture}}"),
  // Missing keys: the typed object fails, the raw JSON (missingkey=error) fails again: docker's message.
  inspect("{{.Nope}}"),
  inspect("{{.Config.Nope}}"),
  inspect("{{.Id}} {{.ID}}"),
  { command: ["inspect"], format: "{{.Nope}}", names: ["busybox"] },
  {
    command: ["inspect"],
    format: "{{.Config.ExposedPorts}} {{.Config.Healthcheck}}",
    names: ["rich", "busybox"],
  },
  // Parse errors: exit 64 before any image is looked at.
  inspect("{{"),
  inspect("{{.Id"),
  inspect("{{end}}"),
  // images: VirtualSize is still there in CLI 28 (go-units' HumanSize: 4 digits).
  { command: ["images"], format: "{{.Repository}} {{.Size}} {{.VirtualSize}}", names: ["rich"] },
  { command: ["images"], format: "table {{.Repository}}\t{{.VirtualSize}}", names: ["rich"] },
  { command: ["images"], format: "json", names: ["busybox"], normalise: withoutCreatedSince },
  { command: ["images"], format: "{{json .}}", names: ["rich"], normalise: withoutCreatedSince },
  { command: ["images"], format: "{{.Nope}}", names: ["rich"] },
  { command: ["history"], format: "{{.ID}} {{.Size}} {{.CreatedBy}}", names: ["rich"] },
  { command: ["history"], format: "{{.Nope}}", names: ["rich"] },
  { command: ["history"], format: "json", names: ["busybox"], normalise: withoutCreatedSince },
];

function shown(r: Pick<RunResult, "code" | "stdout" | "stderr">, c: Case) {
  const n = c.normalise ?? ((s: string) => s);
  return { code: r.code, stdout: n(r.stdout), stderr: r.stderr };
}

describe("--format as docker prints it", () => {
  for (const c of CASES) {
    test(`${c.command.join(" ")} --format '${c.format}' ${c.names.join(" ")}`, async () => {
      const args = [...c.command, "--format", c.format, ...c.names];
      const docker = await dockerd.docker(args);
      const ours = await wharf(["--root", root, ...args]);
      assert.deepEqual(shown(ours, c), shown(docker, c));
    });
  }
});
