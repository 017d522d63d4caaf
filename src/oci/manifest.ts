/**
 * Image manifests and indexes: OCI image-spec v1.1 and Docker's schema2 manifest and manifest list.
 * Docker documents keep their own types; wharf never silently converts them to OCI.
 */
import { z } from "zod";
import { AnnotationsSchema, type Descriptor, DescriptorSchema, MediaTypeSchema } from "./descriptor.ts";
import { DockerMediaType, OciMediaType } from "./mediatype.ts";

const schemaVersion2 = z.literal(2, { error: "must be 2" });

/**
 * A manifest must not carry an index's `manifests` and an index not a manifest's `config`/`layers`:
 * without this one document could be read as either (CVE-2021-41190, as containers/image checks).
 */
const foreign = (what: string) => z.never({ error: `not allowed in ${what}` }).optional();

export interface OciManifest {
  schemaVersion: 2;
  /** Recommended by image-spec; parseDocument has already settled the media type either way. */
  mediaType?: typeof OciMediaType.ImageManifest;
  artifactType?: string;
  config: Descriptor;
  /** image-spec's JSON schema wants at least one entry; its prose only SHOULD (see validateDocument). */
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export const OciManifestSchema: z.ZodType<OciManifest> = z.object({
  schemaVersion: schemaVersion2,
  mediaType: z.literal(OciMediaType.ImageManifest).optional(),
  artifactType: MediaTypeSchema.optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: AnnotationsSchema.optional(),
  manifests: foreign("a manifest"),
});

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: typeof OciMediaType.ImageIndex;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export const OciIndexSchema: z.ZodType<OciIndex> = z.object({
  schemaVersion: schemaVersion2,
  mediaType: z.literal(OciMediaType.ImageIndex).optional(),
  artifactType: MediaTypeSchema.optional(),
  manifests: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: AnnotationsSchema.optional(),
  config: foreign("an index"),
  layers: foreign("an index"),
});

/**
 * distribution's schema2 manifest. Its `mediaType` is required by distribution, but a document
 * without one is still read when the declared type or the config type says schema2 (containers/image).
 */
export interface DockerManifest {
  schemaVersion: 2;
  mediaType?: typeof DockerMediaType.Manifest;
  config: Descriptor;
  layers: Descriptor[];
}

export const DockerManifestSchema: z.ZodType<DockerManifest> = z.object({
  schemaVersion: schemaVersion2,
  mediaType: z.literal(DockerMediaType.Manifest).optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  manifests: foreign("a manifest"),
});

/** distribution's manifest list; entries carry `platform` (with Docker's extra `features`). */
export interface DockerManifestList {
  schemaVersion: 2;
  mediaType?: typeof DockerMediaType.ManifestList;
  manifests: Descriptor[];
}

export const DockerManifestListSchema: z.ZodType<DockerManifestList> = z.object({
  schemaVersion: schemaVersion2,
  mediaType: z.literal(DockerMediaType.ManifestList).optional(),
  manifests: z.array(DescriptorSchema),
  config: foreign("an index"),
  layers: foreign("an index"),
});

export type Manifest = OciManifest | DockerManifest;
export type Index = OciIndex | DockerManifestList;
