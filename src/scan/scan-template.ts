/**
 * `wharf scan --format template --template '{{...}}'` (or `@FILE`): a Go text/template run, as trivy
 * runs one, on the report's Results list, with the values typed as trivy's Go structs so that a trivy
 * template reads them alike: each Result has Target, Class, Type, Vulnerabilities (and empty
 * Packages, Misconfigurations, Secrets, Licenses), each vulnerability trivy's DetectedVulnerability
 * fields (VulnerabilityID, PkgName, PkgPath, PkgIdentifier.PURL, InstalledVersion, FixedVersion,
 * Status, Layer.Digest, SeveritySource, PrimaryURL, DataSource, and the embedded Vulnerability's
 * Title, Description, Severity, CVSS, References, PublishedDate, LastModifiedDate).
 * Functions: Go's builtins (and, or, not, len, index, slice, eq, ne, lt, le, gt, ge, print, printf,
 * println, html, js, urlquery) and trivy's own escapeXML, escapeString, endWithPeriod and appVersion;
 * not sprig's.
 */
import {
  type FuncMap,
  GoNilPointer,
  goFloat,
  goMapType,
  goNil,
  goStruct,
  Template,
  withGoString,
} from "../format/template/index.ts";

type Json = Record<string, unknown>;

/** Parses a template (WharfError TEMPLATE_PARSE, Go's message); `toolVersion` is appVersion's. */
export function parseScanTemplate(text: string, toolVersion: string): Template {
  return Template.parse(text, { name: "output template", funcs: trivyFunctions(toolVersion) });
}

/** Runs the template on the Results of a trivy JSON report (trivy-json.ts); TEMPLATE_EXEC on error. */
export function executeScanTemplate(template: Template, report: Json): string {
  const results = Array.isArray(report.Results) ? (report.Results as Json[]) : [];
  return template.execute(results.map(resultValue));
}

function resultValue(r: Json): object {
  const vulns = Array.isArray(r.Vulnerabilities) ? (r.Vulnerabilities as Json[]) : [];
  return goStruct(
    {
      Target: str(r.Target),
      Class: str(r.Class),
      Type: str(r.Type),
      Packages: goNil([], "[]types.Package"),
      Vulnerabilities:
        vulns.length > 0 ? vulns.map(vulnerabilityValue) : goNil([], "[]types.DetectedVulnerability"),
      MisconfSummary: new GoNilPointer("*types.MisconfSummary"),
      Misconfigurations: goNil([], "[]types.DetectedMisconfiguration"),
      Secrets: goNil([], "[]types.DetectedSecret"),
      Licenses: goNil([], "[]types.DetectedLicense"),
    },
    "types.Result",
  );
}

function vulnerabilityValue(v: Json): object {
  const layer = (v.Layer ?? {}) as Json;
  const source = (v.DataSource ?? {}) as Json;
  const purl = str((v.PkgIdentifier as Json | undefined)?.PURL);
  const vulnerability = goStruct(
    {
      Title: str(v.Title),
      Description: str(v.Description),
      Severity: str(v.Severity),
      CweIDs: goNil([], "[]string"),
      VendorSeverity: goNil({}, "types.VendorSeverity"),
      CVSS: cvssValue(v.CVSS as Record<string, Json> | undefined),
      References: strings(v.References),
      PublishedDate: timeValue(v.PublishedDate),
      LastModifiedDate: timeValue(v.LastModifiedDate),
    },
    "types.Vulnerability",
  );
  return goStruct(
    {
      VulnerabilityID: str(v.VulnerabilityID),
      VendorIDs: goNil([], "[]string"),
      PkgID: str(v.PkgID),
      PkgName: str(v.PkgName),
      PkgPath: str(v.PkgPath),
      PkgIdentifier: goStruct(
        {
          UID: "",
          // A *packageurl.PackageURL in trivy; it prints through its String method: the purl.
          // (Typed as the struct: the engine prints a pointer struct's fields, not its String.)
          PURL: purl
            ? withGoString(goStruct({}, "packageurl.PackageURL"), purl)
            : new GoNilPointer("*packageurl.PackageURL"),
          BOMRef: "",
        },
        "types.PkgIdentifier",
      ),
      InstalledVersion: str(v.InstalledVersion),
      FixedVersion: str(v.FixedVersion),
      Status: str(v.Status),
      Layer: goStruct({ Digest: str(layer.Digest), DiffID: str(layer.DiffID), CreatedBy: "" }, "types.Layer"),
      SeveritySource: str(v.SeveritySource),
      PrimaryURL: str(v.PrimaryURL),
      DataSource: goStruct(
        { ID: str(source.ID), BaseID: "", Name: str(source.Name), URL: str(source.URL) },
        "*types.DataSource",
      ),
      Custom: undefined,
      Vulnerability: vulnerability,
    },
    "types.DetectedVulnerability",
    ["Vulnerability"],
  );
}

const CVSS_FIELDS = ["V2Vector", "V3Vector", "V40Vector", "V2Score", "V3Score", "V40Score"] as const;

/** trivy's VendorCVSS: source ("osv") to {V2Vector, V3Vector, V40Vector, V2Score, V3Score, V40Score}. */
function cvssValue(cvss: Record<string, Json> | undefined): object {
  const one = (c: Json) =>
    goStruct(
      Object.fromEntries(
        CVSS_FIELDS.map((k) => [
          k,
          k.endsWith("Score") ? goFloat(typeof c[k] === "number" ? c[k] : 0) : str(c[k]),
        ]),
      ),
      "types.CVSS",
    );
  const entries = Object.entries(cvss ?? {});
  const map = Object.fromEntries(entries.map(([source, c]) => [source, one(c)]));
  const typed = goMapType(map, "types.VendorCVSS", one({}));
  return entries.length > 0 ? typed : goNil(typed, "types.VendorCVSS");
}

/** A *time.Time: prints as Go's time.Time.String does ("2021-02-15 13:15:12.59 +0000 UTC"). */
function timeValue(raw: unknown): object {
  const ms = typeof raw === "string" ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms)) return new GoNilPointer("*time.Time");
  const iso = new Date(ms).toISOString();
  const fraction = /\.(\d+)/.exec(String(raw))?.[1]?.replace(/0+$/, "") ?? "";
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""} +0000 UTC`;
  return withGoString(goStruct({}, "time.Time"), text);
}

/** The functions trivy adds to its templates besides sprig's (pkg/report/template.go). */
function trivyFunctions(toolVersion: string): FuncMap {
  return {
    escapeXML: { params: ["string"], fn: (s) => escapeXml(s as string) },
    escapeString: { params: ["string"], fn: (s) => escapeHtml(s as string) },
    endWithPeriod: { params: ["string"], fn: (s) => ((s as string).endsWith(".") ? s : `${s}.`) },
    appVersion: { params: [], fn: () => toolVersion },
  };
}

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
};

/** Go's xml.EscapeText: markup characters and tab/newline/CR as references, invalid characters as U+FFFD. */
function escapeXml(s: string): string {
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
    /["'&<>\t\n\r]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => XML_ESCAPES[c] ?? "\uFFFD",
  );
}

/** Go's html.EscapeString: < > & ' " only. */
function escapeHtml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => XML_ESCAPES[c]!);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function strings(v: unknown): string[] {
  const list = Array.isArray(v) ? v.filter((s) => typeof s === "string") : [];
  return list.length > 0 ? list : goNil([], "[]string");
}
