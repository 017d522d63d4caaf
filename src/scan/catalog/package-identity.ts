/**
 * How the rest of the world names a found package: its OSV ecosystem (what vulnerability records
 * say it belongs to, with the distribution release where OSV has one) and its package URL, written
 * as syft writes them so SBOMs and matches line up with syft's and grype's.
 */
import { PackageURL } from "packageurl-js";
import type { OsInfo } from "./os-release.ts";
import type { FoundPackage, PackageType } from "./types.ts";

const LANGUAGE_ECOSYSTEMS: Readonly<Partial<Record<PackageType, string>>> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  maven: "Maven",
  cargo: "crates.io",
};

/** rpm distributions OSV covers, by os-release ID; `release` says whether OSV suffixes a major version. */
const RPM_ECOSYSTEMS: Readonly<Record<string, { name: string; release: boolean }>> = {
  rhel: { name: "Red Hat", release: false },
  rocky: { name: "Rocky Linux", release: true },
  almalinux: { name: "AlmaLinux", release: true },
  sles: { name: "SUSE", release: false },
  sled: { name: "SUSE", release: false },
  mageia: { name: "Mageia", release: true },
  openeuler: { name: "openEuler", release: false },
};

function isOrLike(os: OsInfo | undefined, id: string): boolean {
  return os !== undefined && (os.id === id || os.idLike.includes(id));
}

function majorOf(version: string | undefined): string | undefined {
  return /^(\d+)/.exec(version ?? "")?.[1];
}

function withRelease(name: string, release: string | undefined): string {
  return release === undefined ? name : `${name}:${release}`;
}

function debEcosystem(os: OsInfo | undefined): string {
  // A derivative's own VERSION_ID says nothing about its parent's release: no suffix for it.
  if (os?.id === "ubuntu") return withRelease("Ubuntu", os.versionId);
  if (os?.id === "debian") return withRelease("Debian", majorOf(os.versionId));
  return isOrLike(os, "ubuntu") ? "Ubuntu" : "Debian";
}

function apkEcosystem(os: OsInfo | undefined): string {
  if (os?.id === "wolfi") return "Wolfi";
  if (os?.id === "chainguard") return "Chainguard";
  // Alpine:v3.18 for VERSION_ID 3.18.4 (OSV names Alpine's branches).
  const branch = /^(\d+\.\d+)/.exec(os?.versionId ?? "")?.[1];
  return os?.id === "alpine" && branch !== undefined ? `Alpine:v${branch}` : "Alpine";
}

function rpmEcosystem(os: OsInfo | undefined): string {
  if (os === undefined) return "Red Hat";
  const known = RPM_ECOSYSTEMS[os.id];
  if (known !== undefined) return known.release ? withRelease(known.name, majorOf(os.versionId)) : known.name;
  if (os.id.startsWith("opensuse")) return "openSUSE";
  // A distribution OSV has no records for keeps its own ID: nothing will match it by mistake.
  return isOrLike(os, "rhel") ? "Red Hat" : os.id;
}

/** The OSV ecosystem of a package found in an image whose os-release is `os`. */
export function ecosystemOf(found: FoundPackage, os: OsInfo | undefined): string {
  switch (found.type) {
    case "deb":
      return debEcosystem(os);
    case "apk":
      return apkEcosystem(os);
    case "rpm":
      return rpmEcosystem(os);
    default:
      return LANGUAGE_ECOSYSTEMS[found.type]!;
  }
}

function osNamespace(found: FoundPackage, os: OsInfo | undefined): string {
  if (found.type === "deb")
    return os?.id === "ubuntu" || os?.id === "debian" ? os.id : isOrLike(os, "ubuntu") ? "ubuntu" : "debian";
  if (found.type === "apk") return os?.id ?? "alpine";
  // rpm, as syft names it: RHEL's packages are Red Hat's; every openSUSE flavour is "opensuse".
  if (os === undefined || os.id === "rhel") return "redhat";
  return os.id.startsWith("opensuse") ? "opensuse" : os.id;
}

/** syft's `upstream` qualifier: the source package, where it is not the package itself. */
function upstreamOf(found: FoundPackage, version: string): string | undefined {
  if (found.sourceName === undefined) return undefined;
  if (found.type === "rpm") {
    // The source rpm's file name, as rpm records it (epoch-less).
    const sourceVersion = (found.sourceVersion ?? version).replace(/^\d+:/, "");
    return `${found.sourceName}-${sourceVersion}.src.rpm`;
  }
  if (found.type === "deb" && found.sourceVersion !== undefined)
    return `${found.sourceName}@${found.sourceVersion}`;
  return found.sourceName === found.name ? undefined : found.sourceName;
}

/** Name and namespace as each purl type splits them (npm scope, Go module path, Maven group). */
function nameParts(found: FoundPackage): { namespace?: string; name: string } {
  const slash = found.name.lastIndexOf("/");
  if ((found.type === "npm" && found.name.startsWith("@")) || found.type === "golang") {
    if (slash > 0) return { namespace: found.name.slice(0, slash), name: found.name.slice(slash + 1) };
  }
  if (found.type === "maven" && found.namespace !== undefined)
    return { namespace: found.namespace, name: found.name };
  return { name: found.name };
}

/**
 * The package URL (github.com/package-url/purl-spec), built with packageurl-js and then written as
 * syft does: OS packages carry arch, epoch (rpm) and upstream qualifiers and, last, the distro
 * (`distro=debian-12`); a `+` in the version is percent-encoded (`10%2Bdeb12u5`).
 */
export function packageUrlOf(found: FoundPackage, os: OsInfo | undefined): string {
  const isOsPackage = found.type === "deb" || found.type === "apk" || found.type === "rpm";
  const epoch = found.type === "rpm" ? /^(\d+):/.exec(found.version)?.[1] : undefined;
  // rpm's purl version is version-release; its epoch is a qualifier.
  const version = epoch === undefined ? found.version : found.version.slice(epoch.length + 1);
  const qualifiers: Record<string, string> = {};
  if (isOsPackage) {
    if (found.arch) qualifiers.arch = found.arch;
    if (epoch !== undefined) qualifiers.epoch = epoch;
    const upstream = upstreamOf(found, version);
    if (upstream !== undefined) qualifiers.upstream = upstream;
  }
  const { namespace, name } = isOsPackage
    ? { namespace: osNamespace(found, os), name: found.name }
    : nameParts(found);
  const purl = new PackageURL(found.type, namespace, name, version, qualifiers).toString();
  const query = purl.indexOf("?");
  const base = query < 0 ? purl : purl.slice(0, query);
  const at = base.lastIndexOf("@");
  let out = `${base.slice(0, at + 1)}${base.slice(at + 1).replaceAll("+", "%2B")}${query < 0 ? "" : purl.slice(query)}`;
  if (isOsPackage && os?.versionId) {
    out += `${query < 0 ? "?" : "&"}distro=${encodeURIComponent(`${os.id}-${os.versionId}`)}`;
  }
  return out;
}
