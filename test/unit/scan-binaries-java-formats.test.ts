import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { basename } from "node:path";
import { test } from "node:test";
import { archiveNameAndVersion } from "../../src/scan/catalog/binaries/java-filename.ts";
import { manifestValue, parseManifestMain } from "../../src/scan/catalog/binaries/java-manifest.ts";
import { parseJavaProperties } from "../../src/scan/catalog/binaries/java-properties.ts";

// The text formats inside Java archives; the expected values are what the JDK's own readers
// (java.util.jar.Manifest, java.util.Properties) give for the same input.

const GUAVA_JAR = "/usr/share/java/guava.jar";

test("artifact names and versions from file names (syft's cases)", () => {
  const cases: [string, string, string][] = [
    ["pkg-extra-field-maven-4.3.2-rc1.ear", "pkg-extra-field-maven", "4.3.2-rc1"],
    ["wagon-webdav-1.0.2-beta-2.2.3a-hudson.jar", "wagon-webdav", "1.0.2-beta-2.2.3a-hudson"],
    ["my-http2-server-5.jar", "my-http2-server", "5"],
    ["WEB-INF/lib/jtidy-4aug2000r7-dev-hudson-1.jar", "jtidy", "4aug2000r7-dev-hudson-1"],
    ["trilead-ssh2-build212-hudson-5.jar", "trilead-ssh2", "build212-hudson-5"],
    ["guava-r06.jar", "guava", "r06"],
    ["BOOT-INF/lib/spring-data-r2dbc-1.1.0.RELEASE.jar", "spring-data-r2dbc", "1.1.0.RELEASE"],
    ["jboss-saaj-api_1.4_spec-1.0.2.Final.jar", "jboss-saaj-api_1.4_spec", "1.0.2.Final"],
    ["liferay-package.lpkg", "liferay-package", ""],
    ["foo_1.2.jar", "foo", "1.2"],
    ["1.0.jar", "", ""],
  ];
  for (const [file, name, version] of cases) {
    assert.deepEqual(archiveNameAndVersion(file), { name, version }, basename(file));
  }
});

test("manifest and properties formats: continuations, comments, separators, escapes", () => {
  const guava = parseManifestMain(
    execFileSync("unzip", ["-p", GUAVA_JAR, "META-INF/MANIFEST.MF"], { encoding: "utf8" }),
  );
  assert.equal(manifestValue(guava, "bundle-symbolicname"), "com.google.guava");
  assert.equal(manifestValue(guava, "Bundle-Version"), "31.1.0.jre");
  // A value continued over lines: each continuation's one leading space dropped, any others kept
  // (as java.util.jar.Manifest reads it: this manifest's "and" + " much" is "andmuch").
  assert.equal(
    manifestValue(guava, "Bundle-Description"),
    "Guava is a suite of core and expanded libraries that include    utility classes, Google's collections, I/O classes, andmuch more.",
  );
  const sections = parseManifestMain(
    "Manifest-Version: 1.0\r\nImplementation-Version: 2.0\r\n\r\nName: a/b/\r\nImplementation-Version: 9\r\n",
  );
  assert.equal(manifestValue(sections, "Implementation-Version"), "2.0");
  assert.equal(manifestValue(sections, "Name"), undefined);

  const properties = parseJavaProperties(
    [
      "# comment \\",
      "! another",
      "  groupId = org.example  ",
      "artifactId:my\\-lib",
      "version 1.0.\\",
      "    0",
      "key\\ with\\ spaces=v\\u00e9\\t!",
      "empty=",
    ].join("\r\n"),
  );
  assert.deepEqual(Object.fromEntries(properties), {
    groupId: "org.example  ",
    artifactId: "my-lib",
    version: "1.0.0",
    "key with spaces": "vé\t!",
    empty: "",
  });
});
