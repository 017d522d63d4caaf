/**
 * OSV ecosystems and package URLs of found packages, for the distributions os-release names: the
 * purls as syft writes them (its qualifier order, `+` percent-encoded), checked by parsing them
 * back with packageurl-js too.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PackageURL } from "packageurl-js";
import { type OsInfo, osInfo, parseOsRelease } from "../../src/scan/catalog/os-release.ts";
import { ecosystemOf, packageUrlOf } from "../../src/scan/catalog/package-identity.ts";
import type { FoundPackage } from "../../src/scan/catalog/types.ts";

const os = (text: string): OsInfo => osInfo(parseOsRelease(text));
const DEBIAN = os('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');
const UBUNTU = os('ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"');
const MINT = os('ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="21.2"');
const ALPINE = os("ID=alpine\nVERSION_ID=3.18.4");
const RHEL = os('ID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.2"');
const ROCKY = os('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"');
const ALMA = os('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.9"');
const AMAZON = os('ID="amzn"\nID_LIKE="fedora"\nVERSION_ID="2023"');

describe("package identity", () => {
  test("Debian and Ubuntu packages", () => {
    const curl: FoundPackage = { type: "deb", name: "curl", version: "7.88.1-10+deb12u5", arch: "amd64" };
    assert.equal(ecosystemOf(curl, DEBIAN), "Debian:12");
    assert.equal(
      packageUrlOf(curl, DEBIAN),
      "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12",
    );
    const libc: FoundPackage = {
      type: "deb",
      name: "libc6",
      version: "2.36-9+deb12u4",
      arch: "amd64",
      sourceName: "glibc",
    };
    assert.equal(
      packageUrlOf(libc, DEBIAN),
      "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12",
    );
    const bsdutils: FoundPackage = {
      type: "deb",
      name: "bsdutils",
      version: "1:2.38.1-5+deb12u3",
      arch: "amd64",
      sourceName: "util-linux",
      sourceVersion: "2.38.1-5+deb12u3",
    };
    const purl = packageUrlOf(bsdutils, UBUNTU);
    assert.equal(
      purl,
      "pkg:deb/ubuntu/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&upstream=util-linux%402.38.1-5%2Bdeb12u3&distro=ubuntu-22.04",
    );
    const parsed = PackageURL.fromString(purl);
    assert.equal(parsed.version, "1:2.38.1-5+deb12u3");
    assert.equal(parsed.qualifiers?.upstream, "util-linux@2.38.1-5+deb12u3");
    assert.equal(ecosystemOf(bsdutils, UBUNTU), "Ubuntu:22.04");
    // A derivative's own release is not its parent's: the ecosystem without one.
    assert.equal(ecosystemOf(curl, MINT), "Ubuntu");
    assert.equal(ecosystemOf(curl, undefined), "Debian");
    assert.equal(packageUrlOf(curl, undefined), "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64");
  });

  test("Alpine packages", () => {
    const musl: FoundPackage = {
      type: "apk",
      name: "musl",
      version: "1.2.4-r2",
      arch: "x86_64",
      sourceName: "musl",
    };
    assert.equal(ecosystemOf(musl, ALPINE), "Alpine:v3.18");
    assert.equal(packageUrlOf(musl, ALPINE), "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4");
    const crypto: FoundPackage = {
      type: "apk",
      name: "libcrypto3",
      version: "3.1.4-r1",
      arch: "x86_64",
      sourceName: "openssl",
    };
    assert.equal(
      packageUrlOf(crypto, ALPINE),
      "pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&upstream=openssl&distro=alpine-3.18.4",
    );
    assert.equal(ecosystemOf(musl, os("ID=wolfi\nVERSION_ID=20230201")), "Wolfi");
  });

  test("rpm packages by distribution", () => {
    const bash: FoundPackage = {
      type: "rpm",
      name: "bash",
      version: "1:5.1.8-6.el9",
      arch: "x86_64",
      sourceName: "bash",
      sourceVersion: "1:5.1.8-6.el9_1",
    };
    assert.equal(ecosystemOf(bash, RHEL), "Red Hat");
    assert.equal(
      packageUrlOf(bash, RHEL),
      "pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&epoch=1&upstream=bash-5.1.8-6.el9_1.src.rpm&distro=rhel-9.2",
    );
    assert.equal(ecosystemOf(bash, ROCKY), "Rocky Linux:9");
    assert.match(packageUrlOf(bash, ROCKY), /^pkg:rpm\/rocky\/bash@5\.1\.8-6\.el9\?/);
    assert.equal(ecosystemOf(bash, ALMA), "AlmaLinux:8");
    assert.equal(ecosystemOf(bash, os('ID="opensuse-leap"\nVERSION_ID="15.5"')), "openSUSE");
    assert.match(packageUrlOf(bash, os('ID="opensuse-leap"\nVERSION_ID="15.5"')), /^pkg:rpm\/opensuse\//);
    // A distribution OSV has no records for keeps its own name: nothing matches it by mistake.
    assert.equal(ecosystemOf(bash, AMAZON), "amzn");
  });

  test("language packages", () => {
    const cases: [FoundPackage, string, string][] = [
      [{ type: "npm", name: "@scope/name", version: "1.0.0" }, "npm", "pkg:npm/%40scope/name@1.0.0"],
      [{ type: "npm", name: "semver", version: "7.6.0+build.1" }, "npm", "pkg:npm/semver@7.6.0%2Bbuild.1"],
      [{ type: "pypi", name: "requests", version: "2.31.0" }, "PyPI", "pkg:pypi/requests@2.31.0"],
      [
        { type: "golang", name: "github.com/x/y", version: "v1.2.3" },
        "Go",
        "pkg:golang/github.com/x/y@v1.2.3",
      ],
      [{ type: "golang", name: "stdlib", version: "1.19.8" }, "Go", "pkg:golang/stdlib@1.19.8"],
      [
        { type: "maven", namespace: "org.apache.commons", name: "commons-lang3", version: "3.12.0" },
        "Maven",
        "pkg:maven/org.apache.commons/commons-lang3@3.12.0",
      ],
      [{ type: "cargo", name: "serde", version: "1.0.190" }, "crates.io", "pkg:cargo/serde@1.0.190"],
    ];
    for (const [found, ecosystem, purl] of cases) {
      assert.equal(ecosystemOf(found, DEBIAN), ecosystem);
      assert.equal(packageUrlOf(found, DEBIAN), purl, "no distro qualifier on language packages");
    }
  });
});
