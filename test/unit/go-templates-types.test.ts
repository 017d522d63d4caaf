/**
 * Go's types in template values: typed nils (pointer, slice, map), map[string]struct{}, typed maps'
 * zero values for `index`, time.Duration and other Stringers, embedded structs, pointers to structs,
 * missingkey=error; and the inspect / images contexts built from them. The expected strings are what
 * Go 1.24's text/template and docker CLI 28.2 print (templates-docker.test.ts compares the same
 * with a real docker).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { executeInspectTemplate } from "../../src/cli/commands/inspect-views.ts";
import { isWharfError } from "../../src/errors.ts";
import {
  durationString,
  GoDuration,
  GoNilPointer,
  goMapType,
  goNil,
  goStruct,
  marshalJSON,
  newImageRow,
  parseDockerTemplate,
  Template,
  withGoString,
  writeContext,
} from "../../src/format/index.ts";
import { type InspectResponse, inspectConfig } from "../../src/images/index.ts";

const run = (format: string, data: unknown, missingKey?: "error") =>
  parseDockerTemplate(format).execute(data, missingKey ? { missingKey } : {});

function execError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isWharfError(e, "TEMPLATE_EXEC"), String(e));
    return e.message;
  }
  return assert.fail("no error");
}

describe("typed nils", () => {
  const nilPointer = new GoNilPointer("*v1.HealthcheckConfig", ["Test", "Interval"]);
  const data = goStruct(
    {
      P: nilPointer,
      S: goNil([], "[]string"),
      M: goNil({}, "map[string]string"),
      E: [] as string[],
    },
    "T",
  );

  test("a nil pointer prints <nil>, a nil slice [] and a nil map map[]; all marshal as null", () => {
    assert.equal(run("{{.P}} {{.S}} {{.M}} {{.E}}", data), "<nil> [] map[] []");
    assert.equal(run("{{json .P}} {{json .S}} {{json .M}} {{json .E}}", data), "null null null []");
    assert.equal(
      run('{{print .P}} {{printf "%v|%s" .P .P}}', data),
      "<nil> <nil>|%!s(*v1.HealthcheckConfig=<nil>)",
    );
  });

  test("they are false, have no elements, and keep their type", () => {
    assert.equal(run("{{if .P}}y{{else}}n{{end}}{{if .S}}y{{else}}n{{end}}{{range .M}}x{{end}}", data), "nn");
    assert.equal(run("{{len .S}} {{len .M}}", data), "0 0");
    assert.equal(
      run('{{printf "%T %T %T" .P .S .M}}', data),
      "*v1.HealthcheckConfig []string map[string]string",
    );
  });

  test("a field of a nil pointer is Go's error; a field its struct lacks, the usual one", () => {
    assert.match(
      execError(() => run("{{.P.Interval}}", data)),
      /at <\.P\.Interval>: nil pointer evaluating \*v1\.HealthcheckConfig\.Interval$/,
    );
    assert.match(
      execError(() => run("{{.P.Nope}}", data)),
      /can't evaluate field Nope in type \*v1\.HealthcheckConfig$/,
    );
    assert.match(
      execError(() => run("{{index .P 0}}", data)),
      /error calling index: index of nil pointer$/,
    );
  });

  test("a null in a map is a nil interface: a field of it fails", () => {
    assert.match(
      execError(() => run("{{.a.b}}", { a: null })),
      /nil pointer evaluating interface \{\}\.b$/,
    );
    assert.equal(run("{{.a.b}}", {}), "<no value>");
  });
});

describe("typed maps and struct{}", () => {
  const empty = () => goStruct({}, "struct {}");
  const ports = goMapType({ "80/tcp": empty(), "53/udp": empty() }, "map[string]struct {}", empty());
  const labels = goMapType({ a: "b" }, "map[string]string", "");
  const data = { ports, labels, untyped: { a: "b" } };

  test("struct{} values print {} and marshal as {}", () => {
    assert.equal(run("{{.ports}}", data), "map[53/udp:{} 80/tcp:{}]");
    assert.equal(run("{{range $k, $v := .ports}}{{$k}}={{$v}} {{end}}", data), "53/udp={} 80/tcp={} ");
    assert.equal(run("{{json .ports}}", data), '{"53/udp":{},"80/tcp":{}}');
  });

  test("index of a missing key is the element's zero value; a missing field stays <no value>", () => {
    assert.equal(
      run('{{index .labels "zz"}}|{{index .ports "1/tcp"}}|{{index .untyped "zz"}}', data),
      "|{}|<no value>",
    );
    assert.equal(run("{{.labels.zz}}", data), "<no value>");
    assert.equal(run('{{printf "%T %T" .labels .ports}}', data), "map[string]string map[string]struct {}");
  });
});

describe("Stringers, embedded structs and pointers", () => {
  test("time.Duration's String", () => {
    const cases: [number, string][] = [
      [0, "0s"],
      [999, "999ns"],
      [1500, "1.5µs"],
      [5e8, "500ms"],
      [1.5e9, "1.5s"],
      [3e10, "30s"],
      [9e10, "1m30s"],
      [3.6e12, "1h0m0s"],
      [3.6e12 + 6e10 + 1e9 + 5e8, "1h1m1.5s"],
      [-2e9, "-2s"],
    ];
    for (const [ns, text] of cases) assert.equal(durationString(ns), text, String(ns));
  });

  test("a Duration prints through String for %v %s, as a number for %d and json", () => {
    const d = { d: new GoDuration(9e10) };
    assert.equal(
      run('{{.d}} {{printf "%s %d %T" .d .d .d}} {{json .d}}', d),
      "1m30s 1m30s 90000000000 time.Duration 90000000000",
    );
    assert.equal(run("{{if .d}}y{{end}} {{if eq .d 90000000000}}eq{{end}}", d), "y eq");
  });

  test("withGoString gives a struct a String method, also inside other values", () => {
    const t = withGoString(goStruct({}, "time.Time"), "0001-01-01 00:00:00 +0000 UTC");
    assert.equal(
      run('{{.t}} {{.}} {{printf "%T" .t}}', goStruct({ t }, "image.Metadata")),
      "0001-01-01 00:00:00 +0000 UTC {0001-01-01 00:00:00 +0000 UTC} time.Time",
    );
  });

  test("embedded structs: fields promoted, printed nested, flattened in JSON", () => {
    const inner = goStruct({ User: "nobody", Env: ["A=1"] }, "v1.ImageConfig");
    const ext = goStruct({ Shell: goNil([], "[]string") }, "v1.Ext");
    const outer = goStruct({ ImageConfig: inner, Ext: ext }, "v1.Outer", ["ImageConfig", "Ext"]);
    const data = { c: outer };
    assert.equal(run("{{.c.User}} {{.c.ImageConfig.User}} {{.c.Shell}}", data), "nobody nobody []");
    assert.equal(run("{{.c}}", data), "{{nobody [A=1]} {[]}}");
    assert.equal(marshalJSON(outer), '{"User":"nobody","Env":["A=1"],"Shell":null}');
    assert.match(
      execError(() => run("{{.c.Nope}}", data)),
      /can't evaluate field Nope in type v1\.Outer$/,
    );
  });

  test("a pointer to a struct: followed when printed, &{} in printf, an address inside a value", () => {
    const p = goStruct({ Retries: 2 }, "*v1.HealthcheckConfig");
    const data = goStruct({ P: p, Wrap: goStruct({ P: p }, "W") }, "T");
    assert.equal(run("{{.P}}", data), "{2}");
    assert.equal(run('{{printf "%v" .P}} {{printf "%+v" .P}}', data), "&{2} &{Retries:2}");
    assert.equal(run("{{.Wrap}}", data), "{0xc000010000}");
  });
});

describe("missingkey=error (docker's raw inspect fallback)", () => {
  test("a missing key fails with Go's message; a present null does not", () => {
    const data = { Config: { Labels: null, Env: ["A=1"] } };
    assert.match(
      execError(() => run("{{.Nope}}", data, "error")),
      /at <\.Nope>: map has no entry for key "Nope"$/,
    );
    assert.match(
      execError(() => run("{{.Config.Healthcheck.Test}}", data, "error")),
      /map has no entry for key "Healthcheck"$/,
    );
    assert.equal(run("{{.Config.Labels}} {{.Config.Env}}", data, "error"), "<no value> [A=1]");
    assert.equal(run("{{.Nope}}", data), "<no value>");
  });

  test("the option is per execution", () => {
    const t = Template.parse("{{.x}}");
    assert.throws(() => t.execute({}, { missingKey: "error" }));
    assert.equal(t.execute({}), "<no value>");
  });
});

/** An API 1.47 inspect object of an image with the given container config. */
function inspectResponse(config: Parameters<typeof inspectConfig>[0]): InspectResponse {
  return {
    Id: "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5",
    RepoTags: ["busybox:latest"],
    RepoDigests: [],
    Parent: "",
    Comment: "",
    Created: "2026-11-28T03:00:24.863511584Z",
    DockerVersion: "",
    Author: "",
    Config: inspectConfig(config),
    Architecture: "amd64",
    Os: "linux",
    Size: 2051177,
    GraphDriver: { Data: null, Name: "" },
    RootFS: {
      Type: "layers",
      Layers: ["sha256:358fca316c443fd09d6e517c0d10cfc378f7111fda4dfd0fe3dd1fdacc0499b0"],
    },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
  };
}

describe("docker image inspect's typed object and its fallback", () => {
  const plain = inspectResponse({
    Env: ["PATH=/bin"],
    Cmd: ["/bin/sh"],
    WorkingDir: "/",
    Labels: { a: "b" },
  });
  const rich = inspectResponse({
    ExposedPorts: { "80/tcp": {}, "53/udp": {} },
    Volumes: { "/data": {} },
    Healthcheck: { Test: ["CMD", "true"], Interval: 90e9, Retries: 2 },
    Entrypoint: ["/bin/sh"],
    OnBuild: ["RUN echo hi"],
    Shell: ["/bin/sh", "-c"],
  });
  const inspect = (format: string, r: InspectResponse) =>
    executeInspectTemplate(parseDockerTemplate(format), r);

  test("ExposedPorts and Volumes are map[string]struct {}", () => {
    assert.equal(
      inspect("{{.Config.ExposedPorts}} {{.Config.Volumes}}", rich),
      "map[53/udp:{} 80/tcp:{}] map[/data:{}]",
    );
    assert.equal(
      inspect("{{.Config.ExposedPorts}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}}", plain),
      "map[] null null",
    );
  });

  test("Healthcheck is a *HealthcheckConfig with Durations (JSON: only the fields set)", () => {
    assert.equal(inspect("{{.Config.Healthcheck}}", rich), "{[CMD true] 1m30s 0s 0s 0s 2}");
    assert.equal(
      inspect("{{json .Config.Healthcheck}}", rich),
      '{"Test":["CMD","true"],"Interval":90000000000,"Retries":2}',
    );
    assert.equal(inspect("{{.Config.Healthcheck}} {{json .Config.Healthcheck}}", plain), "<nil> null");
  });

  test("nil slices of the config and the response print [] and marshal as null", () => {
    assert.equal(
      inspect(
        "{{json .Config.Entrypoint}} {{json .Config.OnBuild}} {{json .Config.Shell}} {{json .Manifests}}",
        plain,
      ),
      "null null null null",
    );
    assert.equal(inspect("{{.Config.Entrypoint}} {{.Manifests}} {{.Descriptor}}", plain), "[] [] <nil>");
    assert.equal(inspect('{{index .Config.Labels "zz"}}|{{index .Config.Labels "a"}}', plain), "|b");
  });

  test("the config's embedded structs print as docker prints them", () => {
    assert.equal(
      inspect("{{.Config}}", plain),
      "{{ map[] [PATH=/bin] [] [/bin/sh] map[] / map[a:b]  false} {<nil> [] []}}",
    );
    assert.equal(inspect("{{.Config.ImageConfig.WorkingDir}}", plain), "/");
  });

  test("LastTagTime is a time.Time", () => {
    assert.equal(
      inspect("{{.Metadata.LastTagTime}} {{json .Metadata.LastTagTime}} {{json .Metadata}}", plain),
      '0001-01-01 00:00:00 +0000 UTC "0001-01-01T00:00:00Z" {"LastTagTime":"0001-01-01T00:00:00Z"}',
    );
  });

  test("what the typed object lacks runs on the raw JSON; a missing key there is docker's error", () => {
    assert.equal(inspect("{{.Id}}", plain), plain.Id);
    assert.match(
      execError(() => inspect("{{.Nope}}", plain)),
      /executing "" at <\.Nope>: map has no entry for key "Nope"$/,
    );
    assert.match(
      execError(() => inspect("{{.Config.Healthcheck.Interval}}", plain)),
      /at <\.Config\.Healthcheck\.Interval>: map has no entry for key "Healthcheck"$/,
    );
    assert.equal(inspect("{{.Config.Healthcheck.Interval}}", rich), "1m30s");
  });
});

describe("docker images: VirtualSize", () => {
  const img = {
    ID: "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5",
    Created: 0,
    Size: 2051177,
  };
  const row = newImageRow(img, { trunc: true }, "busybox", "latest", "<none>");

  test("the size again with go-units' HumanSize (4 significant digits), headed SIZE", () => {
    assert.equal(row.VirtualSize, "2.051MB");
    assert.equal(
      writeContext("table {{.Size}}\t{{.VirtualSize}}", { Size: "SIZE", VirtualSize: "SIZE" }, [row]),
      "SIZE      SIZE\n2.05MB    2.051MB\n",
    );
    assert.match(
      writeContext("json", {}, [row]),
      /"Tag":"latest","UniqueSize":"2\.051MB","VirtualSize":"2\.051MB"\}\n$/,
    );
  });
});
