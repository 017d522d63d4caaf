/**
 * The /etc/hosts and /etc/resolv.conf a RUN step sees, bind-mounted read-only over the rootfs's own
 * as BuildKit does (executor/oci/hosts.go, resolvconf.go).
 */
import { readFileSync } from "node:fs";

export const DEFAULT_HOSTNAME = "buildkitsandbox";

export interface ExtraHost {
  host: string;
  ip: string;
}

/** BuildKit's initHostsFile plus one "IP\tHOST" line per --add-host. */
export function hostsFile(hostname: string, extraHosts: readonly ExtraHost[]): string {
  let text = `127.0.0.1\tlocalhost ${hostname || DEFAULT_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  for (const h of extraHosts) text += `${h.ip}\t${h.host}\n`;
  return text;
}

/** libnetwork's defaults, for a resolv.conf that names no usable name server. */
const DEFAULT_NAMESERVERS = ["8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844"];

/**
 * The host's resolv.conf. In the host's network namespace (default, host) it is used as it is: a
 * local resolver (127.0.0.53) is reachable there. In a namespace of its own (none) local name
 * servers mean nothing, so they are dropped as BuildKit drops them, and with none left the default
 * servers are written.
 */
export function resolvConf(isolatedNetwork: boolean, hostPath = "/etc/resolv.conf"): string {
  let text = "";
  try {
    text = readFileSync(hostPath, "utf8");
  } catch {
    // No resolv.conf on the host: the defaults below.
  }
  let lines = text.split("\n");
  if (isolatedNetwork) lines = lines.filter((line) => !isLocalNameserver(line));
  text = lines.join("\n");
  if (!lines.some((line) => nameserverOf(line) !== undefined)) {
    if (text !== "" && !text.endsWith("\n")) text += "\n";
    text += DEFAULT_NAMESERVERS.map((ns) => `nameserver ${ns}\n`).join("");
  }
  return text;
}

function nameserverOf(line: string): string | undefined {
  const m = /^\s*nameserver\s+(\S+)/.exec(line);
  return m?.[1];
}

function isLocalNameserver(line: string): boolean {
  const ns = nameserverOf(line);
  return ns !== undefined && (ns.startsWith("127.") || ns === "::1");
}
