/**
 * Docker-compatible output: Go's text/template (template/), docker/cli's template functions, the
 * `--format` conventions (table / json / custom), its tabwriter, and the `docker images` context.
 */
export { ellipsis, truncateID } from "./display.ts";
export {
  BASIC_FUNCTIONS,
  formatJSON,
  HEADER_FUNCTIONS,
  joinElements,
  parseDockerTemplate,
} from "./docker-funcs.ts";
export {
  DEFAULT_QUIET_FORMAT,
  isJSONFormat,
  isTableFormat,
  JSON_FORMAT,
  JSON_FORMAT_KEY,
  newTableWriter,
  PRETTY_FORMAT_KEY,
  parseFormat,
  RAW_FORMAT_KEY,
  TABLE_FORMAT_KEY,
  templateString,
  writeContext,
} from "./formatter.ts";
export { marshalJSON } from "./gojson.ts";
export {
  DEFAULT_IMAGE_TABLE_FORMAT,
  DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST,
  IMAGE_HEADER,
  type ImageContextOptions,
  type ImageRow,
  type ImageSummary,
  imageRows,
  newImageFormat,
  newImageRow,
} from "./image.ts";
export { imageWrite } from "./image-write.ts";
export {
  compileSimpleTemplate,
  executeSimple,
  type SimpleTemplate,
  writeContextSimple,
} from "./simple-template.ts";
export { TabWriter, type TabWriterOptions } from "./tabwriter.ts";
export * from "./template/index.ts";
export {
  createdSince,
  GO_ZERO_UNIX,
  goTimeString,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
} from "./units.ts";
export { charWidth, stringWidth } from "./width.ts";
