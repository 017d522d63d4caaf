/**
 * The inspect response as Go's image.InspectResponse: its structs marked with their Go types, so
 * that Go-style marshalling keeps the API's field order (maps are sorted). What `docker image
 * inspect` prints and GET /images/{name}/json answers; `wharf inspect`'s templates run on it too.
 */
import { goStruct } from "../format/template/value.ts";
import type { InspectResponse } from "./inspect.ts";

export function inspectResponseStruct(r: InspectResponse): object {
  const config = goStruct({ ...r.Config }, "container.Config");
  if (r.Config.Healthcheck)
    config.Healthcheck = goStruct({ ...r.Config.Healthcheck }, "container.HealthConfig");
  return goStruct(
    {
      ...r,
      Config: config,
      GraphDriver: goStruct({ ...r.GraphDriver }, "storage.DriverData"),
      RootFS: goStruct({ ...r.RootFS }, "image.RootFS"),
      Metadata: goStruct({ ...r.Metadata }, "image.Metadata"),
    },
    "image.InspectResponse",
  );
}
