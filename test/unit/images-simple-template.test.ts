/**
 * writeContext runs docker's simple default templates without the template engine
 * (src/format/simple-template.ts); whatever it renders must be what the engine renders, and anything
 * it does not handle must reach the engine (errors included).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compileSimpleTemplate,
  executeSimple,
  goStruct,
  HEADER_FUNCTIONS,
  IMAGE_HEADER,
  isTableFormat,
  newImageFormat,
  newImageRow,
  newTableWriter,
  parseFormat,
  partialOutput,
  templateString,
  writeContext,
} from "../../src/format/index.ts";

/** writeContext as it was: every item through the engine. */
function engineWrite(format: string, header: unknown, items: readonly unknown[]): string {
  const tmpl = parseFormat(format);
  let buffer = "";
  for (const item of items) {
    try {
      buffer += `${tmpl.execute(item)}\n`;
    } catch (e) {
      throw new Error(`template parsing error: ${(e as Error).message}`);
    }
  }
  if (!isTableFormat(format)) return buffer;
  let head: string;
  try {
    head = tmpl.execute(header, { funcs: HEADER_FUNCTIONS });
  } catch (e) {
    head = partialOutput(e);
  }
  const tw = newTableWriter();
  tw.write(`${head}\n${buffer}`);
  return tw.flush();
}

function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
}

const image = {
  ID: "sha256:1c03f4e795fd19db4fa0c25496cd2f696994f6798cbf12e04ae981d4143ae7a5",
  Created: 1_795_000_000,
  Size: 2_051_177,
  SharedSize: -1,
  Containers: -1,
};
const rows = [
  newImageRow(image, { trunc: true, now: 1_795_003_000_000 }, "busybox", "latest", "<none>"),
  newImageRow({ ...image, Created: -62135596800 }, { trunc: false }, "日本/x", "<none>", "sha256:ab"),
];

const FORMATS = [
  newImageFormat("table", false, false),
  newImageFormat("table", false, true),
  newImageFormat("table", true, false),
  newImageFormat("raw", false, true),
  "table {{.ID}}\t{{.CreatedAt}}\t{{.Size}}",
  "{{.Repository}}:{{.Tag}}",
  "{{ .ID }} {{if .Tag }}{{.Tag}}{{else}}-{{end}} {{if .Digest}}{{.Digest}}{{end}}",
  "table {{.Nope}}",
  "{{.Nope}}",
  "{{if .Nope}}x{{end}}",
  "table {{.ID}}\\t{{upper .Tag}}",
  "{{- .ID}}",
  "{{.ID -}} x",
  "{{.ID}}{{end}}",
  "{{if .ID}}{{if .Tag}}x{{end}}{{end}}",
  "{{.ID.X}}",
  "json",
  "table",
  "plain text",
];

test("simple templates render as the engine does, for rows, maps and odd values", () => {
  const maps: unknown[] = [
    { ID: "a", Tag: "" },
    { ID: "b", Tag: null, Nope: "n" },
    { ID: 5, Tag: "t" },
    goStruct({ ID: "c", Tag: "t", Repository: "r", Digest: "d", CreatedAt: "", Size: "1B" }, "T"),
  ];
  for (const format of FORMATS) {
    for (const items of [rows, maps, [], ...maps.map((m) => [m])]) {
      assert.equal(
        outcome(() => writeContext(format, IMAGE_HEADER, items)),
        outcome(() => engineWrite(format, IMAGE_HEADER, items)),
        `${format} on ${JSON.stringify(items)}`,
      );
    }
  }
});

test("what the simple path takes and what it leaves to the engine", () => {
  const compile = (f: string) => compileSimpleTemplate(templateString(f));
  assert.ok(compile(newImageFormat("table", false, false)));
  assert.ok(compile(newImageFormat("table", true, false)));
  for (const f of ["table", "json", "text only", "{{- .ID}}", "{{.A.B}}", "{{upper .A}}", "{{if .A}}x"])
    assert.equal(compile(f), undefined, f);
  const t = compile("{{.A}}|{{if .B}}{{.B}}{{else}}none{{end}}")!;
  assert.equal(executeSimple(t, { A: "a", B: "" }), "a|none");
  assert.equal(executeSimple(t, { B: "b" }), "<no value>|b");
  assert.equal(executeSimple(t, goStruct({ B: "b" }, "T")), undefined, "a struct without A is an error");
  assert.equal(executeSimple(t, { A: 1 }), undefined, "numbers are formatted by the engine");
  assert.equal(executeSimple(t, ["a"]), undefined);
});
