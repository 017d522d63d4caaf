/**
 * The parts of an EXPOSE port spec the checks look at, split as BuildKit's convert_expose.go does
 * (`[ip:][hostPort:]containerPort[/proto]`): a protocol not in lower case (ExposeProtoCasing) and
 * an IP or host port (ExposeInvalidFormat). A spec BuildKit would refuse is reported as such.
 */

export interface ExposePortParts {
  ip: string;
  hostPort: string;
  /** As written ("" means tcp). */
  proto: string;
}

/** The parts, or undefined where BuildKit's splitProtoPort fails (no port, an unknown protocol). */
export function splitExposePort(raw: string): ExposePortParts | undefined {
  const parts = raw.split(":");
  const n = parts.length;
  const containerPort = parts[n - 1] ?? "";
  const hostPort = n >= 2 ? (parts[n - 2] ?? "") : "";
  const ip = n >= 3 ? parts.slice(0, n - 2).join(":") : "";
  const slash = containerPort.indexOf("/");
  const port = slash < 0 ? containerPort : containerPort.slice(0, slash);
  const proto = slash < 0 ? "" : containerPort.slice(slash + 1);
  if (port === "" || !["", "tcp", "udp", "sctp"].includes(proto.toLowerCase())) return undefined;
  return { ip, hostPort, proto };
}
