/**
 * How a Java archive's metadata becomes packages: each Maven pom.properties is one (groupId,
 * artifactId, version); an archive without any falls back to its manifest and file name, as syft
 * does: the name from the file name first (Implementation-Title is often a display title such as
 * "Maven Core"), else Bundle-SymbolicName, else Implementation-Title; the version from
 * Implementation-Version, else Bundle-Version, else the file name.
 */
import type { FoundPackage } from "../types.ts";
import { archiveNameAndVersion } from "./java-filename.ts";
import { type ManifestAttributes, manifestValue } from "./java-manifest.ts";
import { parseJavaProperties } from "./java-properties.ts";

const POM_PROPERTIES = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.properties$/;

/** Whether a zip entry is a Maven pom.properties: META-INF/maven/<groupId>/<artifactId>/pom.properties. */
export function isPomProperties(entryName: string): boolean {
  return POM_PROPERTIES.test(entryName);
}

/** The package a pom.properties names; its directory supplies a missing groupId or artifactId.
 *  Undefined without a version. */
export function pomPropertiesPackage(entryName: string, text: string): FoundPackage | undefined {
  const [, groupDir, artifactDir] = POM_PROPERTIES.exec(entryName) ?? [];
  const properties = parseJavaProperties(text);
  const value = (key: string) => properties.get(key)?.trim() || undefined;
  const namespace = value("groupId") ?? groupDir;
  const name = value("artifactId") ?? artifactDir;
  const version = value("version");
  if (name === undefined || version === undefined) return undefined;
  return withNamespace({ type: "maven", name, version }, namespace);
}

/** The package an archive without pom.properties stands for, from its manifest (if any) and file
 *  name; undefined when no name or no version can be told. Implementation-Vendor-Id, where Maven's
 *  archiver wrote it, is the groupId. */
export function manifestPackage(
  manifest: ManifestAttributes | undefined,
  archiveName: string,
): FoundPackage | undefined {
  const fromFile = archiveNameAndVersion(archiveName);
  const attribute = (name: string) => (manifest === undefined ? undefined : manifestValue(manifest, name));
  // A symbolic name may carry directives: "com.example.bundle;singleton:=true".
  const symbolicName = attribute("Bundle-SymbolicName")?.split(";")[0]?.trim() || undefined;
  const name = (fromFile.name || undefined) ?? symbolicName ?? attribute("Implementation-Title");
  const version =
    attribute("Implementation-Version") ?? attribute("Bundle-Version") ?? (fromFile.version || undefined);
  if (name === undefined || version === undefined) return undefined;
  return withNamespace({ type: "maven", name, version }, attribute("Implementation-Vendor-Id"));
}

function withNamespace(found: FoundPackage, namespace: string | undefined): FoundPackage {
  return namespace === undefined ? found : { ...found, namespace };
}
