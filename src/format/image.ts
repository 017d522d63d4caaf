/**
 * docker/cli cli/command/formatter/image.go: the rows and columns of `docker images`. Each image gives
 * one row per repository:tag (and, with --digests or a format that shows {{.Digest}}, per digest of
 * that repository); a dangling image gives one `<none> <none>` row. Follows docker CLI 28, which still
 * has the deprecated VirtualSize column (the size again, with go-units' default precision: 2.051MB).
 */
import { isDigest } from "../oci/digest.ts";
import { familiarName, isNameOnly, parseNormalizedNamed } from "../oci/reference.ts";
import { REFERENCE_REGEXPS } from "../oci/reference-grammar.ts";
import { truncateID } from "./display.ts";
import { DEFAULT_QUIET_FORMAT, RAW_FORMAT_KEY, TABLE_FORMAT_KEY } from "./format-keys.ts";
import { marshalJSON } from "./gojson.ts";
import { goStructPrototype } from "./template/value.ts";
import { createdSince, goTimeString, humanSize, humanSizeWithPrecision } from "./units.ts";

/** What the daemon's image list says about an image (moby's image.Summary, the fields used here). */
export interface ImageSummary {
  /** Image ID ("sha256:..."). */
  ID: string;
  RepoTags?: readonly string[] | null;
  RepoDigests?: readonly string[] | null;
  /** Unix seconds. */
  Created: number;
  Size?: number;
  /** -1 when not computed. */
  SharedSize?: number;
  /** -1 when not computed. */
  Containers?: number;
}

/** One line of `docker images`: the fields a --format template can use. */
export interface ImageRow {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  /** Deprecated in docker, equal to Size but formatted as humanSize formats (4 significant digits). */
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
}

export const DEFAULT_IMAGE_TABLE_FORMAT =
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
export const DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST =
  "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";

export const IMAGE_HEADER: Readonly<Record<keyof ImageRow, string>> = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
  Containers: "CONTAINERS",
  VirtualSize: "SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
};

/** NewImageFormat: the format for `docker images` given --format (or "table"), -q and --digests. */
export function newImageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === TABLE_FORMAT_KEY) {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return digest ? DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST : DEFAULT_IMAGE_TABLE_FORMAT;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return "image_id: {{.ID}}";
    const digestLine = digest ? "digest: {{.Digest}}\n" : "";
    return `repository: {{ .Repository }}\ntag: {{.Tag}}\n${digestLine}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
  }
  if (source.startsWith(TABLE_FORMAT_KEY) && digest && !source.includes("{{.Digest}}")) {
    return `${source}\t{{.Digest}}`;
  }
  return source;
}

export interface ImageContextOptions {
  /** The format, as returned by newImageFormat. */
  format: string;
  /** Shorten IDs (not --no-trunc). */
  trunc: boolean;
  /** --digests */
  digest: boolean;
  /** "Now" for CreatedSince, in epoch milliseconds (default: the current time). */
  now?: number;
}

function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === "<none>:<none>" && digests.length === 1 && digests[0] === "<none>@<none>"
  );
}

/** The columns of an image that are the same in each of its rows. */
interface ImageColumns {
  ID: string;
  CreatedSince: string;
  /** Go's time.String() of Created, made when a row's CreatedAt is first read (Intl is slow). */
  createdAt: () => string;
  Size: string;
  Containers: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
}

/** Per imageWrite: images of one size or creation time share the text (formatting floats is slow). */
interface ColumnCache {
  sizes: Map<number, string>;
  virtualSizes: Map<number, string>;
  times: Map<number, string>;
}

function newColumnCache(): ColumnCache {
  return { sizes: new Map(), virtualSizes: new Map(), times: new Map() };
}

function cached<K>(map: Map<K, string>, key: K, make: (key: K) => string): string {
  let value = map.get(key);
  if (value === undefined) {
    value = make(key);
    map.set(key, value);
  }
  return value;
}

const size3 = (size: number) => humanSizeWithPrecision(size, 3);

function imageColumns(
  img: ImageSummary,
  o: Pick<ImageContextOptions, "trunc" | "now">,
  cache: ColumnCache,
): ImageColumns {
  const size = img.Size ?? 0;
  const shared = img.SharedSize ?? 0;
  const containers = img.Containers ?? 0;
  const created = img.Created;
  let createdAt: string | undefined;
  return {
    ID: o.trunc ? truncateID(img.ID) : img.ID,
    CreatedSince: createdSince(created, o.now),
    createdAt: () => {
      createdAt ??= cached(cache.times, created, goTimeString);
      return createdAt;
    },
    Size: cached(cache.sizes, size, size3),
    Containers: containers === -1 ? "N/A" : String(containers),
    VirtualSize: cached(cache.virtualSizes, size, humanSize),
    SharedSize: shared === -1 ? "N/A" : humanSize(shared),
    UniqueSize: size === -1 || shared === -1 ? "N/A" : humanSize(size - shared),
  };
}

/**
 * docker's imageContext: the fields of one row. CreatedAt is an own getter (templates, %v and JSON
 * see an ordinary field in its place) that formats the time when first read; the struct type and
 * json.Marshaler (a map of the fields: sorted keys, HTML-escaped) are on the prototype.
 */
class ImageContext implements ImageRow {
  declare readonly ID: string;
  declare readonly Repository: string;
  declare readonly Tag: string;
  declare readonly Digest: string;
  declare readonly CreatedSince: string;
  declare readonly CreatedAt: string;
  declare readonly Size: string;
  declare readonly Containers: string;
  declare readonly VirtualSize: string;
  declare readonly SharedSize: string;
  declare readonly UniqueSize: string;
  readonly #columns: ImageColumns;

  static readonly #createdAt: PropertyDescriptor = {
    get(this: ImageContext) {
      return this.#columns.createdAt();
    },
    enumerable: true,
    configurable: true,
  };

  constructor(c: ImageColumns, repo: string, tag: string, digest: string) {
    this.#columns = c;
    // Assigned in the order docker's fields print.
    this.ID = c.ID;
    this.Repository = repo;
    this.Tag = tag;
    this.Digest = digest;
    this.CreatedSince = c.CreatedSince;
    Object.defineProperty(this, "CreatedAt", ImageContext.#createdAt);
    this.Size = c.Size;
    this.Containers = c.Containers;
    this.VirtualSize = c.VirtualSize;
    this.SharedSize = c.SharedSize;
    this.UniqueSize = c.UniqueSize;
  }
}
goStructPrototype(ImageContext.prototype, "*formatter.imageContext", (row) => marshalJSON({ ...row }, true));

function rowOf(c: ImageColumns, repo: string, tag: string, digest: string): ImageRow {
  return new ImageContext(c, repo, tag, digest);
}

/** One row (docker's imageContext) for an image shown as repo:tag with digest. */
export function newImageRow(
  img: ImageSummary,
  o: Pick<ImageContextOptions, "trunc" | "now">,
  repo: string,
  tag: string,
  digest: string,
): ImageRow {
  return rowOf(imageColumns(img, o, newColumnCache()), repo, tag, digest);
}

/**
 * Familiar repository names by name, for one imageRows: a reference `name:tag` or `name@digest`
 * whose name parses alone (a name only) and whose tag or digest is valid on its own parses to that
 * name with that tag or digest, so each repository is parsed once however many references name it.
 */
type NameCache = Map<string, string | null>;

function familiarNameOf(cache: NameCache, name: string): string | null {
  let familiar = cache.get(name);
  if (familiar === undefined) {
    try {
      const ref = parseNormalizedNamed(name);
      familiar = isNameOnly(ref) ? familiarName(ref) : null;
    } catch {
      familiar = null;
    }
    cache.set(name, familiar);
  }
  return familiar;
}

/** The familiar repository name and the tag (or digest) of `s`, as parsing it gives them. */
function split(s: string, pick: "tag" | "digest", cache: NameCache): [string, string] | undefined {
  if (pick === "tag" && !s.includes("@")) {
    const colon = s.lastIndexOf(":");
    const tag = s.slice(colon + 1);
    const repo =
      colon > 0 && REFERENCE_REGEXPS.anchoredTag.test(tag) ? familiarNameOf(cache, s.slice(0, colon)) : null;
    if (repo !== null) return [repo, tag];
  } else if (pick === "digest") {
    const at = s.lastIndexOf("@");
    const digest = s.slice(at + 1);
    const repo = at > 0 && isDigest(digest) ? familiarNameOf(cache, s.slice(0, at)) : null;
    if (repo !== null) return [repo, digest];
  }
  let ref: ReturnType<typeof parseNormalizedNamed>;
  try {
    ref = parseNormalizedNamed(s);
  } catch {
    return undefined;
  }
  const value = ref[pick];
  return value === undefined ? undefined : [familiarName(ref), value];
}

/** Groups references by familiar repository name, in order of first appearance. */
function byRepository(
  refs: readonly string[],
  pick: "tag" | "digest",
  cache: NameCache,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < refs.length; i++) {
    const parsed = split(refs[i]!, pick, cache);
    if (parsed === undefined) continue;
    const [repo, value] = parsed;
    const values = out.get(repo);
    if (values === undefined) out.set(repo, [value]);
    else values.push(value);
  }
  return out;
}

/**
 * The rows for the images (imageFormat). docker iterates Go maps here, so its order of repositories
 * within one image is random; wharf keeps the order in which RepoTags/RepoDigests name them.
 */
export function imageRows(images: readonly ImageSummary[], o: ImageContextOptions): ImageRow[] {
  const needDigest = o.digest || o.format.includes("{{.Digest}}");
  const cache = newColumnCache();
  const names: NameCache = new Map();
  const rows: ImageRow[] = [];
  for (let i = 0; i < images.length; i++) {
    const img = images[i]!;
    const columns = imageColumns(img, o, cache);
    if (isDangling(img)) {
      rows.push(rowOf(columns, "<none>", "<none>", "<none>"));
      continue;
    }
    const repoTags = byRepository(img.RepoTags ?? [], "tag", names);
    const repoDigests = byRepository(img.RepoDigests ?? [], "digest", names);
    for (const [repo, tags] of repoTags) {
      const digests = needDigest ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (let t = 0; t < tags.length; t++) {
        if (digests.length === 0) rows.push(rowOf(columns, repo, tags[t]!, "<none>"));
        for (let d = 0; d < digests.length; d++) rows.push(rowOf(columns, repo, tags[t]!, digests[d]!));
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (o.digest) for (const d of digests) rows.push(rowOf(columns, repo, "<none>", d));
      else rows.push(rowOf(columns, repo, "<none>", ""));
    }
  }
  return rows;
}
