/** The layer differ: an overlay upper directory -> a deterministic layer blob (BuildKit's overlay differ). */
export {
  type LayerCompression,
  type WriteLayerOptions,
  type WrittenLayer,
  writeLayer,
} from "./write-layer.ts";
