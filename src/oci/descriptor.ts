/**
 * Content descriptors (image-spec descriptor.md), the pointers every manifest, index and layout is
 * made of. Docker schema2 descriptors have the same shape, so one schema serves both.
 */
import { z } from "zod";
import { digestBytes, digestError, isSupportedAlgorithm } from "./digest.ts";

/** RFC 6838 `type/subtype`, as image-spec's defs-descriptor.json restricts it. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isValidMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

export const MediaTypeSchema = z.string().regex(MEDIA_TYPE, "invalid media type (RFC 6838)");

/**
 * A digest as image-spec validates one: go-digest's rules, except that a well-formed digest of an
 * unregistered algorithm (`sha256+b64:...`) is accepted. It can be stored and passed on, not verified.
 */
export const DigestSchema = z.string().superRefine((value, ctx) => {
  const err = digestError(value);
  if (err && err.code !== "DIGEST_UNSUPPORTED") ctx.addIssue({ code: "custom", message: err.message });
});

/** Sizes are int64 and non-negative; JavaScript numbers stay exact up to 2^53 - 1 bytes (8 PiB). */
export const SizeSchema = z.number().int().min(0);

/** JSON Schema `format: uri`: an absolute URI, so it has a scheme. */
export const UrlSchema = z
  .string()
  .refine((s) => /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/.test(s) && URL.canParse(s), "invalid URL");

export const AnnotationsSchema = z.record(z.string(), z.string());

/** The platform of an index entry (image-spec image-index.md; `features` is Docker's manifest list). */
export interface DescriptorPlatform {
  architecture: string;
  os: string;
  "os.version"?: string;
  "os.features"?: string[];
  variant?: string;
  features?: string[];
}

export const DescriptorPlatformSchema: z.ZodType<DescriptorPlatform> = z.object({
  architecture: z.string(),
  os: z.string(),
  "os.version": z.string().optional(),
  "os.features": z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Base64 of the content itself, embedded; must match `size` and `digest`. */
  data?: string;
  artifactType?: string;
  platform?: DescriptorPlatform;
}

export const DescriptorSchema: z.ZodType<Descriptor> = z
  .object({
    mediaType: MediaTypeSchema,
    digest: DigestSchema,
    size: SizeSchema,
    urls: z.array(UrlSchema).optional(),
    annotations: AnnotationsSchema.optional(),
    data: z.base64("invalid base64 (standard alphabet, padded)").optional(),
    artifactType: MediaTypeSchema.optional(),
    platform: DescriptorPlatformSchema.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.data === undefined) return;
    const content = Buffer.from(d.data, "base64");
    if (content.length !== d.size) {
      ctx.addIssue({
        code: "custom",
        path: ["data"],
        message: `embedded data is ${content.length} bytes but size is ${d.size}`,
      });
      return;
    }
    // Content of an unregistered algorithm cannot be checked; image-spec accepts it too.
    const algorithm = d.digest.slice(0, d.digest.indexOf(":"));
    if (isSupportedAlgorithm(algorithm) && digestBytes(content, algorithm) !== d.digest) {
      ctx.addIssue({ code: "custom", path: ["data"], message: `embedded data does not match ${d.digest}` });
    }
  });
