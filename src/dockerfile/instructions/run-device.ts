/** RUN --device values, a TypeScript port of BuildKit's commands_rundevice.go ParseDevice. */
import { csvFields } from "./csv-fields.ts";
import { parseGoBool } from "./go-values.ts";
import { instructionError } from "./instruction-error.ts";
import { withSuggestion } from "./suggest.ts";

export interface Device {
  name: string;
  required: boolean;
}

export function parseDevice(spec: string): Device {
  const device: Device = { name: "", required: false };
  for (const field of csvFields(spec, "devices")) {
    const eq = field.indexOf("=");
    const key = (eq === -1 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq === -1 ? "" : field.slice(eq + 1);
    if (key === "required" && eq === -1) {
      device.required = true;
    } else if (key === "name" && eq !== -1) {
      if (device.name !== "") throw instructionError(`device name already set to ${device.name}`);
      device.name = value;
    } else if (key === "required") {
      const flag = parseGoBool(value);
      if (flag === undefined) throw instructionError(`invalid value for ${key}: ${value}`);
      device.required = flag;
    } else if (device.name === "") {
      // The first bare word (or unknown key) is the device's name, as upstream.
      device.name = field;
    } else if (eq === -1) {
      throw instructionError(`invalid field '${field}' must be a key=value pair`);
    } else {
      throw instructionError(
        withSuggestion(`unexpected key '${key}' in '${field}'`, key, ["name", "required"], true),
      );
    }
  }
  return device;
}
