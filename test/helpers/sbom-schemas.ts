/**
 * The official CycloneDX 1.6 and SPDX 2.3 JSON schemas of ../shared/schemas, compiled with ajv, for
 * the SBOM tests: bom-1.6 with the spdx and jsf schemas it refers to (by the names relative to its
 * $id), SPDX's schema is draft 2019-09.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormats from "ajv-formats";

const SCHEMAS = fileURLToPath(new URL("../../../shared/schemas/", import.meta.url));
const schema = (name: string) => JSON.parse(readFileSync(join(SCHEMAS, name), "utf8"));

export function cyclonedxValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // ajv-formats has neither; the CycloneDX library's own validator accepts any value for both too.
  ajv.addFormat("iri-reference", true);
  ajv.addFormat("idn-email", true);
  ajv.addSchema(schema("spdx.SNAPSHOT.schema.json"), "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json");
  ajv.addSchema(
    schema("jsf-0.82.SNAPSHOT.schema.json"),
    "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
  );
  return ajv.compile(schema("bom-1.6.SNAPSHOT.schema.json"));
}

export function spdxValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema("spdx-2.3.schema.json"));
}
