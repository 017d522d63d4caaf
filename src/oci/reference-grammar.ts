/**
 * The image reference grammar of github.com/distribution/reference, as regular expressions built
 * from the same productions (regexp.go). Go's RE2 picks submatches leftmost-first like JavaScript,
 * `\w` is ASCII-only in both, and `$` without the m flag only matches at the end of input, so the
 * anchored expressions below accept exactly the strings upstream's accept, with the same captures.
 *
 *   reference      := name [ ":" tag ] [ "@" digest ]
 *   name           := [domain "/"] remote-name
 *   domain         := host [":" port-number]
 *   host           := domain-name | IPv4address | "[" IPv6address "]"
 *   remote-name    := path-component ["/" path-component]*
 *   path-component := alpha-numeric [separator alpha-numeric]*
 *   tag            := /[\w][\w.-]{0,127}/
 *   digest         := algorithm ":" encoded
 */

const optional = (...res: string[]) => `(?:${res.join("")})?`;
const anyTimes = (...res: string[]) => `(?:${res.join("")})*`;
const capture = (...res: string[]) => `(${res.join("")})`;
const anchored = (...res: string[]) => `^${res.join("")}$`;

/** Path components allow lowercase letters and digits only. */
const alphanumeric = "[a-z0-9]+";
/** One period, one or two underscores, or any number of dashes. */
const separator = "(?:[._]|__|[-]+)";
/** Domain components may use uppercase: only the repository path must be lowercase. */
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const optionalPort = "(?::[0-9]+)?";
const tag = "[\\w][\\w.-]{0,127}";
/** Looser than go-digest's own rule on purpose (as upstream): any algorithm, 32+ hex characters. */
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
/** A sha256 hex string without the algorithm, as image IDs are shown. */
const identifier = "([a-f0-9]{64})";
/** IPv6 in brackets; zone identifiers and IPv4-mapped forms are deliberately excluded. */
const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `${domainNameComponent}${anyTimes("\\.", domainNameComponent)}`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = alphanumeric + anyTimes(separator, alphanumeric);
const remoteName = pathComponent + anyTimes("/", pathComponent);
const name = optional(domainAndPort, "/") + remoteName;

/**
 * The grammar's expressions. The unanchored ones (domain, name, tag, digest, identifier) are for
 * composing or searching; the others match a whole string:
 * - `reference` captures [1] name, [2] tag, [3] digest;
 * - `anchoredName` captures [1] domain (may be undefined), [2] path;
 * - `anchoredIdentifier` captures [1] the 64 hex characters.
 */
export const REFERENCE_REGEXPS = Object.freeze({
  domain: new RegExp(domainAndPort),
  name: new RegExp(name),
  /** A repository path without a domain: what the distribution API's `<name>` is. */
  remoteName: new RegExp(remoteName),
  tag: new RegExp(tag),
  digest: new RegExp(digest),
  identifier: new RegExp(identifier),
  anchoredDomain: new RegExp(anchored(domainAndPort)),
  anchoredName: new RegExp(anchored(optional(capture(domainAndPort), "/"), capture(remoteName))),
  anchoredTag: new RegExp(anchored(tag)),
  anchoredDigest: new RegExp(anchored(digest)),
  anchoredIdentifier: new RegExp(anchored(identifier)),
  reference: new RegExp(anchored(capture(name), optional(":", capture(tag)), optional("@", capture(digest)))),
});
