import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isWharfError } from "../../src/errors.ts";
import {
  BASIC_FUNCTIONS,
  ellipsis,
  type FuncMap,
  GO_ZERO_UNIX,
  goStruct,
  HEADER_FUNCTIONS,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  type ImageSummary,
  imageWrite,
  isJSONFormat,
  isTableFormat,
  newImageFormat,
  newImageRow,
  partialOutput,
  Template,
  templateString,
  truncateID,
  writeContext,
} from "../../src/format/index.ts";
import { loadCorpus } from "../corpus.ts";

// CreatedAt is Go's time.Time.String() in the local zone; fix the zone so expectations are exact.
process.env.TZ = "UTC";

interface Expect {
  output?: string;
  error?: boolean;
  errorContains?: string;
  errorMessage?: string;
  rule?: string;
  isJSON?: boolean;
  isTable?: boolean;
  templateString?: string;
}

interface TemplateCase {
  id: number;
  suite: string;
  kind: "template" | "formatParse" | "contextWrite" | "truncateID" | "ellipsis" | "imageField" | "imageWrite";
  description?: string;
  note?: string;
  funcs?: "basic" | "header" | Record<string, string>;
  format?: string;
  input?: unknown;
  width?: number;
  items?: unknown[];
  header?: unknown;
  field?: string;
  trunc?: boolean;
  image?: Record<string, unknown>;
  repo?: string;
  tag?: string;
  digest?: string;
  context?: {
    digest: boolean;
    format?: string;
    newImageFormat?: { source: string; quiet: boolean; digest: boolean };
  };
  images?: Record<string, unknown>[];
  expect: Expect;
}

/** Go time.Unix(s, 0).String() in UTC, computed independently of src/format/units.ts. */
function goUTC(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

const NOW = Date.parse("2026-11-28T04:00:00Z");

function funcsOf(c: TemplateCase): FuncMap {
  if (c.funcs === "basic") return BASIC_FUNCTIONS;
  // templates.New("").Funcs(HeaderFunctions): the basic set, with the header stubs replacing names.
  if (c.funcs === "header") return { ...BASIC_FUNCTIONS, ...HEADER_FUNCTIONS };
  const named: Record<string, keyof typeof BASIC_FUNCTIONS> = { joinElements: "join" };
  return Object.fromEntries(Object.entries(c.funcs ?? {}).map(([k, v]) => [k, BASIC_FUNCTIONS[named[v]!]!]));
}

function runTemplate(c: TemplateCase): void {
  // The "structs" case's elements are Go structs {A, B string} upstream; plain objects would be maps.
  const input =
    c.note?.includes("Go structs") && Array.isArray(c.input)
      ? c.input.map((e) => goStruct({ ...(e as object) }, "templates.testStruct"))
      : c.input;
  const tmpl = Template.parse(c.format!, { funcs: funcsOf(c) });
  if (!c.expect.error) {
    assert.equal(tmpl.execute(input), c.expect.output);
    return;
  }
  assert.throws(
    () => tmpl.execute(input),
    (e) => {
      assert.ok(isWharfError(e, "TEMPLATE_EXEC"), String(e));
      if (c.expect.errorContains) assert.ok(e.message.includes(c.expect.errorContains), e.message);
      assert.equal(partialOutput(e), c.expect.output);
      return true;
    },
  );
}

function imageOf(raw: Record<string, unknown>, unixTime: number): ImageSummary {
  const created = raw.Created === "{{unixTime}}" ? unixTime : ((raw.Created as number | undefined) ?? 0);
  return { ...(raw as object), ID: (raw.ID as string | undefined) ?? "", Created: created } as ImageSummary;
}

function runImageField(c: TemplateCase): void {
  const unixNow = Math.floor(NOW / 1000);
  const raw = { ...c.image };
  const randomId = raw.ID === "<random 64-hex id>" ? randomBytes(32).toString("hex") : undefined;
  if (randomId) raw.ID = randomId;
  if (raw.Created === "<now unix seconds>") raw.Created = unixNow;
  const row = newImageRow(
    imageOf(raw, unixNow),
    { trunc: c.trunc ?? false, now: NOW },
    c.repo ?? "",
    c.tag ?? "",
    c.digest ?? "",
  );
  const got = row[c.field as keyof typeof row];
  const rule = c.expect.rule;
  let expected: string | undefined = c.expect.output;
  if (rule === "TruncateID(ID)") expected = truncateID(randomId!);
  else if (rule === "ID unchanged") expected = randomId;
  else if (rule?.startsWith("Go time.Unix(Created, 0).String()")) expected = goUTC(unixNow);
  assert.ok(expected !== undefined, `no expectation understood: ${JSON.stringify(c.expect)}`);
  assert.equal(got, expected);
}

function runImageWrite(c: TemplateCase): void {
  const unixTime = Math.floor(NOW / 1000) - 24 * 3600; // time.Now().AddDate(0, 0, -1).Unix()
  const ctx = c.context!;
  const nif = ctx.newImageFormat;
  const format = nif ? newImageFormat(nif.source, nif.quiet, nif.digest) : ctx.format!;
  const images = (c.images ?? []).map((i) => imageOf(i, unixTime));
  const write = () => imageWrite(images, { format, trunc: false, digest: ctx.digest, now: NOW });
  if (c.expect.error) {
    assert.throws(write, (e) => isWharfError(e) && e.message === c.expect.errorMessage);
    return;
  }
  const expected = c.expect
    .output!.replaceAll("{{expectedTime}}", goUTC(unixTime))
    .replaceAll("{{expectedZeroTime}}", goUTC(GO_ZERO_UNIX));
  assert.equal(write(), expected);
}

function run(c: TemplateCase): void {
  switch (c.kind) {
    case "template":
      runTemplate(c);
      return;
    case "formatParse":
      assert.equal(isJSONFormat(c.format!), c.expect.isJSON);
      assert.equal(isTableFormat(c.format!), c.expect.isTable);
      assert.equal(templateString(c.format!), c.expect.templateString);
      return;
    case "contextWrite":
      assert.equal(writeContext(c.format!, c.header, c.items!), c.expect.output);
      return;
    case "truncateID":
      assert.equal(truncateID(c.input as string), c.expect.output);
      return;
    case "ellipsis":
      assert.equal(ellipsis(c.input as string, c.width!), c.expect.output);
      return;
    case "imageField":
      runImageField(c);
      return;
    case "imageWrite":
      runImageWrite(c);
      return;
  }
}

describe("corpus/go-templates.json", () => {
  const cases = loadCorpus<TemplateCase[]>("go-templates.json");
  test("has all 81 cases", () => assert.equal(cases.length, 81));
  for (const c of cases) {
    const what = c.description ?? c.format ?? c.field ?? JSON.stringify(c.input);
    test(`#${c.id} ${c.suite} ${c.kind} ${what}`, () => run(c));
  }
});

const exec = (text: string, data?: unknown, funcs?: FuncMap) => Template.parse(text, { funcs }).execute(data);

function throwsTemplate(f: () => unknown, code: "TEMPLATE_PARSE" | "TEMPLATE_EXEC", message: string): void {
  assert.throws(f, (e) => {
    assert.ok(isWharfError(e, code), String(e));
    assert.equal(e.message, message);
    return true;
  });
}

describe("Go text/template semantics", () => {
  test("missing map keys and nil print <no value>; print shows <nil>", () => {
    assert.equal(
      exec("{{.A}} {{.B}} {{.A.X}} {{print .B}}", { B: null }),
      "<no value> <no value> <no value> <nil>",
    );
    assert.equal(exec("{{.}}"), "<no value>");
  });
  test("values print with Go's %v", () => {
    const data = { M: { b: [1, "x", null], a: true }, F: 2.5, I: 3, E: [], S: "s" };
    assert.equal(exec("{{.M}} {{.F}} {{.I}} {{.E}} {{.S}}", data), "map[a:true b:[1 x <nil>]] 2.5 3 [] s");
    assert.equal(
      exec("{{1e6}} {{1.0}} {{0.000012}} {{123456789.0}} {{'a'}} {{0x1F}}"),
      "1e+06 1 1.2e-05 1.23456789e+08 97 31",
    );
    assert.equal(exec("{{.}}", goStruct({ A: 1, B: "b" }, "T")), "{1 b}");
  });
  test("range over maps is in sorted key order, with else and $i, $v", () => {
    assert.equal(exec("{{range $k, $v := .}}{{$k}}={{$v}} {{end}}", { b: 2, a: 1, C: 3 }), "C=3 a=1 b=2 ");
    assert.equal(exec("{{range .}}x{{else}}empty{{end}}", []), "empty");
    assert.equal(exec("{{range $i, $e := .}}{{$i}}{{$e}}{{end}}", ["a", "b"]), "0a1b");
    assert.equal(exec("{{range 3}}{{.}}{{end}}"), "012");
    assert.equal(
      exec(
        "{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}",
        [1, 2, 3, 4, 5],
      ),
      "13",
    );
  });
  test("truth is Go's: zero values are false, structs true", () => {
    const t = "{{if .}}T{{else}}F{{end}}";
    const results = [0, "", [], {}, null, false, 1, "x", [0], { a: 0 }, goStruct({}, "S")].map((v) =>
      exec(t, v),
    );
    assert.deepEqual(results.join(""), "FFFFFFTTTTT");
    assert.equal(exec("{{if .A}}a{{else if .B}}b{{else}}c{{end}}", { B: 1 }), "b");
    assert.equal(exec("{{with .A}}{{.}}{{else with .B}}[{{.}}]{{end}}", { B: "b" }), "[b]");
  });
  test("variables, assignment, pipelines and parentheses", () => {
    assert.equal(exec("{{$x := 1}}{{$x = 2}}{{$x}} {{$}}", "dot"), "2 dot");
    assert.equal(exec('{{"a" | printf "%s-%s" "b"}} {{(len .) | printf "%03d"}}', "xyz"), "b-a 003");
    assert.equal(exec("{{.A.B}}", { A: { B: "deep" } }), "deep");
  });
  test("printf verbs", () => {
    const out = exec(
      '{{printf "%v|%s|%d|%q|%t|%x|%X|%-10s|%10s|%5.2f|%e|%g|%c|%U|%o|%b|%+d|%05d|%%" .S .S .I .S true .I .S .S .S .F .F .F .R .R .I .I .I .I}}',
      { S: "hi", I: 255, F: 1.23456, R: 0x263a },
    );
    assert.equal(
      out,
      'hi|hi|255|"hi"|true|ff|6869|hi        |        hi| 1.23|1.234560e+00|1.23456|☺|U+263A|377|11111111|+255|00255|%',
    );
    assert.equal(exec('{{printf "%d %s" "x"}}'), "%!d(string=x) %!s(MISSING)");
    assert.equal(exec('{{printf "%d" 1 2}}'), "1%!(EXTRA int=2)");
    assert.equal(exec('{{printf "%5d|%.1f|%x" "ab" 2.25 -255}}'), "%!d(string=   ab)|2.2|-ff");
    assert.equal(exec('{{printf "%v %+v" . .}}', goStruct({ A: 1 }, "T")), "{1} {A:1}");
    assert.equal(exec('{{printf "%q" .}}', ["a", "b"]), '["a" "b"]');
  });
  test("comparison, logic and collection builtins", () => {
    assert.equal(
      exec('{{eq 1 1}} {{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}'),
      "true true true true true true false",
    );
    assert.equal(
      exec('{{and 1 0}} {{or 0 "" "z"}} {{not 0}} {{or 1 (index . 9)}} {{and 0 (index . 9)}}', []),
      "0 z true 1 0",
    );
    assert.equal(
      exec("{{len .}} {{index . 1}} {{slice . 1 2}} {{index .}}", ["a", "b", "c"]),
      "3 b [b] [a b c]",
    );
    assert.equal(
      exec('{{index . "k"}} {{index . "none"}} {{len "héllo"}} {{slice "hello" 1 3}}', { k: "v" }),
      "v <no value> 6 el",
    );
  });
  test("html, js and urlquery escaping", () => {
    assert.equal(exec(`{{html "<a href='x'>&"}}`), "&lt;a href=&#39;x&#39;&gt;&amp;");
    assert.equal(exec(`{{js "it's <b>"}}`), "it\\'s \\u003Cb\\u003E");
    assert.equal(exec('{{urlquery "a b&c/é"}}'), "a+b%26c%2F%C3%A9");
  });
  test("whitespace trim markers and comments", () => {
    assert.equal(exec("a  {{- 1 -}}  \n b"), "a1b");
    assert.equal(exec("a {{/* gone */}} b {{- /* trimmed */ -}} c"), "a  bc");
    assert.equal(exec("{{- 1}}\n{{2 -}}\n"), "1\n2");
  });
  test("define, template and block", () => {
    assert.equal(
      exec('{{define "T"}}<{{.}}>{{end}}{{template "T" .A}}{{block "B" .A}}[{{.}}]{{end}}', { A: "x" }),
      "<x>[x]",
    );
  });
  test("string literals with Go escapes and raw strings", () => {
    assert.equal(exec('{{"a\\tb\\u00e9\\x41\\101"}}|{{`raw\\n`}}'), "a\tbéAA|raw\\n");
  });
  test("parse errors read as Go's", () => {
    throwsTemplate(() => exec("{{.A"), "TEMPLATE_PARSE", "template: :1: unclosed action");
    throwsTemplate(() => exec("{{foo}}"), "TEMPLATE_PARSE", 'template: :1: function "foo" not defined');
    throwsTemplate(() => exec("x\n{{if .}}"), "TEMPLATE_PARSE", "template: :2: unexpected EOF");
    throwsTemplate(() => exec("{{end}}"), "TEMPLATE_PARSE", "template: :1: unexpected {{end}}");
    throwsTemplate(() => exec("{{$x}}"), "TEMPLATE_PARSE", 'template: :1: undefined variable "$x"');
    throwsTemplate(
      () => exec('{{"a" | 1}}'),
      "TEMPLATE_PARSE",
      "template: :1: non executable command in pipeline stage 2",
    );
    throwsTemplate(() => exec("{{(1}}"), "TEMPLATE_PARSE", "template: :1: unclosed left paren");
    throwsTemplate(() => exec("{{break}}"), "TEMPLATE_PARSE", "template: :1: {{break}} outside {{range}}");
    throwsTemplate(() => exec('{{"x}}'), "TEMPLATE_PARSE", "template: :1: unterminated quoted string");
    throwsTemplate(() => exec("{{/* x }}"), "TEMPLATE_PARSE", "template: :1: unclosed comment");
  });
  test("execution errors read as Go's, with the output written so far", () => {
    // Go checks arity when the call runs, so a wrong argument count is an execution error.
    throwsTemplate(
      () => exec("{{len}}"),
      "TEMPLATE_EXEC",
      'template: :1:2: executing "" at <len>: wrong number of args for len: want 1 got 0',
    );
    throwsTemplate(
      () => exec("{{join .}}", [], BASIC_FUNCTIONS),
      "TEMPLATE_EXEC",
      'template: :1:2: executing "" at <join>: wrong number of args for join: want 2 got 1',
    );
    throwsTemplate(
      () => exec("{{nil}}"),
      "TEMPLATE_EXEC",
      'template: :1:2: executing "" at <nil>: nil is not a command',
    );
    throwsTemplate(
      () => exec("ok {{.X}}", goStruct({}, "*main.T")),
      "TEMPLATE_EXEC",
      'template: :1:5: executing "" at <.X>: can\'t evaluate field X in type *main.T',
    );
    throwsTemplate(
      () => exec("{{upper .}}", 5, BASIC_FUNCTIONS),
      "TEMPLATE_EXEC",
      'template: :1:8: executing "" at <.>: wrong type for value; expected string; got int',
    );
    throwsTemplate(
      () => exec("\n  {{index . 3}}", [1]),
      "TEMPLATE_EXEC",
      'template: :2:4: executing "" at <index . 3>: error calling index: index out of range: 3',
    );
    try {
      exec("before {{len 3}} after");
      assert.fail("expected an error");
    } catch (e) {
      assert.equal(partialOutput(e), "before ");
    }
  });
});

describe("docker template functions", () => {
  const f = (text: string, data?: unknown) => exec(text, data, BASIC_FUNCTIONS);
  test("json is Go's encoder without HTML escaping", () => {
    assert.equal(
      f("{{json .}}", { b: [1, 2.5, null], a: "<&>", c: "\u2028" }),
      '{"a":"<&>","b":[1,2.5,null],"c":"\\u2028"}',
    );
  });
  test("join, split, title, lower, upper, pad, truncate", () => {
    assert.equal(f('{{join . ", "}}', ["a", "b"]), "a, b");
    assert.equal(f('{{split . ","}}', "a,b,,c"), "[a b  c]");
    assert.equal(f("{{title .}}", "hello wide-world_x"), "Hello Wide-World_x");
    assert.equal(f("{{lower .}} {{upper .}}", "MiXed ß"), "mixed ß MIXED ß");
    assert.equal(f("{{pad . 1 2}}|{{truncate . 3}}", "abcdef"), " abcdef  |abc");
  });
});

describe("go-units sizes and durations", () => {
  // Expectations of docker/go-units' own tests (size_test.go, duration_test.go).
  test("HumanSize", () => {
    const sizes = [1000, 1024, 1e6, 1048576, 2e6, 3.42e9, 5.372e12, 2.22e15, 1e28].map(humanSize);
    assert.deepEqual(sizes, [
      "1kB",
      "1.024kB",
      "1MB",
      "1.049MB",
      "2MB",
      "3.42GB",
      "5.372TB",
      "2.22PB",
      "1e+04YB",
    ]);
    assert.equal(humanSizeWithPrecision(999_999, 3), "1e+03kB");
  });
  test("HumanDuration", () => {
    const m = 60;
    const h = 3600;
    const d = 24 * h;
    const cases: [number, string][] = [
      [0.45, "Less than a second"],
      [1, "1 second"],
      [47, "47 seconds"],
      [60, "About a minute"],
      [35 * m + 40, "35 minutes"],
      [h + 29 * m, "About an hour"],
      [h + 31 * m, "2 hours"],
      [d + 12 * h, "36 hours"],
      [13 * d + 5 * h, "13 days"],
      [4 * 7 * d + 3 * d, "4 weeks"],
      [30 * d + 14 * d, "6 weeks"],
      [5 * 30 * d + 14 * d, "5 months"],
      [24 * 30 * d, "24 months"],
      [24 * 30 * d + 14 * d, "2 years"],
      [3 * 365 * d + 60 * d, "3 years"],
    ];
    for (const [seconds, want] of cases) assert.equal(humanDuration(seconds), want, `${seconds}s`);
  });
});

const REFERENCE_DIR = fileURLToPath(new URL("../../../shared/docker-reference/", import.meta.url));

function referenceLines(file: string): string {
  const lines = readFileSync(REFERENCE_DIR + file, "utf8").split("\n");
  assert.match(lines[0]!, /^\$ docker images/);
  const end = lines.indexOf("[exit 0]");
  return `${lines.slice(1, end).join("\n")}\n`;
}

describe("docker images output (../shared/docker-reference)", () => {
  const now = Date.parse("2026-11-28T04:00:00Z");
  const ago = (minutes: number) => Math.floor(now / 1000) - minutes * 60;
  const reg = "127.0.0.1:5070";
  const nodeapp: ImageSummary = {
    ID: "sha256:380b074063419a6457dcd510da24c3975635cb4c30cfb7195959899456142c08",
    RepoTags: [`${reg}/nodeapp:latest`],
    RepoDigests: [`${reg}/nodeapp@sha256:4207aaf00d87ba433591ed336688900b0900f0e021dd851a0e1750c49d1f38a5`],
    Created: ago(25),
    Size: 311_204_833,
  };
  const busybox: ImageSummary = {
    ID: "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5",
    RepoTags: [`${reg}/busybox:latest`, `${reg}/busybox:v2s2`],
    RepoDigests: [
      `${reg}/busybox@sha256:38c6850f878edc2669a36b99bec15cab8aa8ac3f682f9c89c0f51b761848d5da`,
      `${reg}/busybox@sha256:99f975dcd65e801d06d936adffa539fb4bd1b5d7a466db30ad624462d43e3b29`,
    ],
    Created: ago(52),
    Size: 2_051_177,
  };
  const multi: ImageSummary = {
    ID: "sha256:d9807954d5ed84395a6a28cd552dfb62e5708598834a568e119bd5d485ea9907",
    RepoTags: [`${reg}/busybox:multi`],
    RepoDigests: [`${reg}/busybox@sha256:c94552dc6a235959cd41db2bbaf18bab61e4709dfcbbbe4b8157f9ff5c239834`],
    Created: ago(52),
    Size: 2_051_177,
  };
  const images = [nodeapp, busybox, multi];
  const write = (list: ImageSummary[], source: string, o: { digest?: boolean; noTrunc?: boolean } = {}) =>
    imageWrite(list, {
      format: newImageFormat(source, false, o.digest ?? false),
      trunc: !o.noTrunc,
      digest: o.digest ?? false,
      now,
    });

  test("07 docker images", () => assert.equal(write(images, "table"), referenceLines("07-images.txt")));
  test("08 docker images --digests", () => {
    assert.equal(write(images, "table", { digest: true }), referenceLines("08-images-digests.txt"));
  });
  test("09 docker images --format", () => {
    const out = write([nodeapp, multi, busybox], "{{.Repository}}:{{.Tag}} - {{.Size}}");
    assert.equal(out, referenceLines("09-images-format.txt"));
  });
  test("10 docker images --no-trunc", () => {
    assert.equal(write(images, "table", { noTrunc: true }), referenceLines("10-images-notrunc.txt"));
  });
  test("--format json: one object per line, keys sorted, HTML-escaped as docker's MarshalJSON", () => {
    const out = write([multi], "json");
    assert.equal(
      out,
      '{"Containers":"0","CreatedAt":"2026-11-28 03:08:00 +0000 UTC","CreatedSince":"52 minutes ago",' +
        '"Digest":"\\u003cnone\\u003e","ID":"d9807954d5ed","Repository":"127.0.0.1:5070/busybox","SharedSize":"0B",' +
        '"Size":"2.05MB","Tag":"multi","UniqueSize":"2.051MB","VirtualSize":"2.051MB"}\n',
    );
  });
  test("-q and custom table formats", () => {
    const quiet = imageWrite(images, {
      format: newImageFormat("table", true, false),
      trunc: true,
      digest: false,
      now,
    });
    assert.equal(quiet, "380b07406341\n1c03f4e795fd\n1c03f4e795fd\nd9807954d5ed\n");
    const custom = write([busybox], "table {{.ID}}\\t{{upper .Tag}}\\t{{.Size}}");
    assert.equal(
      custom,
      "IMAGE ID       TAG       SIZE\n1c03f4e795fd   LATEST    2.05MB\n1c03f4e795fd   V2S2      2.05MB\n",
    );
  });
  test("an unknown field is docker's execution error, nothing printed", () => {
    assert.throws(
      () => write(images, "{{.Nope}}"),
      (e) =>
        isWharfError(e, "TEMPLATE_EXEC") &&
        e.message ===
          'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext',
    );
  });
});
