/** Go's text/template for plain JS data: parse, execute, Go's fmt and the value model. */
export { BUILTINS, type FuncMap, type GoFunc, type ParamType } from "./builtins.ts";
export { formatValue, sprint, sprintln } from "./fmt.ts";
export { sprintf } from "./printf.ts";
export { formatFloat, quote } from "./strconv.ts";
export { type ParseOptions, partialOutput, Template } from "./template.ts";
export {
  durationString,
  GoDuration,
  GoFloat,
  GoNilPointer,
  goFloat,
  goMapType,
  goNil,
  goStruct,
  isTrue,
  type Kind,
  kindOf,
  typeName,
  withGoString,
  withMarshalJSON,
} from "./value.ts";
