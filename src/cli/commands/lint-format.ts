/**
 * `wharf lint --format`: text (hadolint's `FILE:LINE CODE severity: message`, one finding a line,
 * BuildKit's checks marked `(BuildKit)` after the message), json (an array of findings with their
 * source, "buildkit" or "wharf"), sarif (SARIF 2.1.0: every rule in the tool's driver, one result
 * per finding; a Dockerfile BuildKit would not build is an unsuccessful invocation with the error
 * as its notification).
 */
import type { Finding, LintRuleInfo, Severity } from "../../dockerfile/lint/practice/index.ts";

export const LINT_FORMATS = ["text", "json", "sarif"] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

export interface LintReport {
  findings: readonly Finding[];
  /** The Dockerfile as shown: the path given, or `-` for stdin. */
  file: string;
  /** Why the file would not build, if it would not. */
  error: { message: string; line: number | undefined } | undefined;
  rules: readonly LintRuleInfo[];
  toolVersion: string;
}

export function formatLintReport(format: LintFormat, report: LintReport): string {
  switch (format) {
    case "text":
      return report.findings.map((f) => `${textLine(f, report.file)}\n`).join("");
    case "json":
      return `${JSON.stringify(
        report.findings.map((f) => jsonFinding(f, report.file)),
        null,
        2,
      )}\n`;
    case "sarif":
      return `${JSON.stringify(sarifLog(report), null, 2)}\n`;
  }
}

function textLine(f: Finding, file: string): string {
  const mark = f.source === "buildkit" ? " (BuildKit)" : "";
  return `${file}:${f.line} ${f.code} ${f.severity}: ${f.message}${mark}`;
}

function jsonFinding(f: Finding, file: string) {
  return {
    code: f.code,
    message: f.message,
    severity: f.severity,
    line: f.line,
    column: f.column ?? null,
    file,
    source: f.source,
  };
}

const SARIF_SCHEMA =
  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SARIF_LEVELS: Readonly<Record<Severity, "error" | "warning" | "note">> = {
  error: "error",
  warning: "warning",
  info: "note",
  style: "note",
};

function sarifLog(report: LintReport) {
  const ruleIndex = new Map(report.rules.map((r, i) => [r.code, i]));
  const artifact = { uri: encodeURI(report.file) };
  const region = (line: number, column?: number) => ({
    startLine: Math.max(line, 1),
    ...(column === undefined ? {} : { startColumn: column }),
  });
  return {
    version: "2.1.0",
    $schema: SARIF_SCHEMA,
    runs: [
      {
        tool: {
          driver: {
            name: "wharf-lint",
            version: report.toolVersion,
            rules: report.rules.map((r) => ({
              id: r.code,
              shortDescription: { text: r.description },
              ...(r.url === "" ? {} : { helpUri: r.url }),
              defaultConfiguration: { level: SARIF_LEVELS[r.severity] },
              properties: { source: r.source },
            })),
          },
        },
        invocations: [
          {
            executionSuccessful: report.error === undefined,
            ...(report.error === undefined
              ? {}
              : {
                  toolExecutionNotifications: [
                    {
                      level: "error",
                      message: { text: report.error.message },
                      ...(report.error.line === undefined
                        ? {}
                        : {
                            locations: [
                              {
                                physicalLocation: {
                                  artifactLocation: artifact,
                                  region: region(report.error.line),
                                },
                              },
                            ],
                          }),
                    },
                  ],
                }),
          },
        ],
        results: report.findings.map((f) => ({
          ruleId: f.code,
          ...(ruleIndex.has(f.code) ? { ruleIndex: ruleIndex.get(f.code) } : {}),
          level: SARIF_LEVELS[f.severity],
          message: { text: f.message },
          locations: [{ physicalLocation: { artifactLocation: artifact, region: region(f.line, f.column) } }],
          properties: { source: f.source },
        })),
      },
    ],
  };
}
