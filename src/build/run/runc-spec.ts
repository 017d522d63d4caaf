/**
 * The OCI runtime spec (config.json, spec 1.0.2) of a RUN step's container: what BuildKit's runc
 * executor generates (containerd's default Unix spec + executor/oci/spec.go): Docker's default
 * capabilities, no new privileges, the standard kernel file systems, read-only /etc/hosts and
 * /etc/resolv.conf binds, runc's masked and read-only paths. Pure data, no I/O.
 */
import type { ExecUser } from "./passwd.ts";

export type NetworkMode = "default" | "none" | "host";

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface RuncSpecInput {
  /** The container's root file system (the merged overlay dir), absolute. */
  rootfs: string;
  args: readonly string[];
  env: readonly string[];
  cwd: string;
  user: ExecUser;
  network: NetworkMode;
  hostname: string;
  hostsPath: string;
  resolvConfPath: string;
  /** RUN --mount mounts, already in spec form. */
  mounts: readonly SpecMount[];
  rlimits: readonly Rlimit[];
}

/** Docker's (and BuildKit's) default capability set. */
export const DEFAULT_CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** runc's default spec (`runc spec`). */
const MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** BuildKit's GetMounts defaults; runc itself adds /dev's standard devices (null, zero, full,
 *  random, urandom, tty) and the /dev/fd, stdio and ptmx links. */
function kernelMounts(): SpecMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["ro", "nosuid", "noexec", "nodev"],
    },
  ];
}

/** A read-only bind of a file the executor generated (BuildKit's withROBind). */
function roBind(source: string, destination: string): SpecMount {
  return { destination, type: "bind", source, options: ["nosuid", "noexec", "nodev", "rbind", "ro"] };
}

/** Every mount of the container, in mount order: parents before what is mounted inside them. */
export function specMounts(input: RuncSpecInput): SpecMount[] {
  const all = [
    ...kernelMounts(),
    roBind(input.resolvConfPath, "/etc/resolv.conf"),
    roBind(input.hostsPath, "/etc/hosts"),
    ...input.mounts,
  ];
  // A later mount at the same place replaces an earlier one (BuildKit's dedupMounts).
  const byDestination = new Map<string, SpecMount>();
  for (const m of all) {
    byDestination.delete(m.destination);
    byDestination.set(m.destination, m);
  }
  // A stable sort by depth keeps each mount after the mounts of its parents.
  return [...byDestination.values()].sort((a, b) => depth(a.destination) - depth(b.destination));
}

function depth(path: string): number {
  return path.split("/").filter((p) => p !== "").length;
}

export function runcSpec(input: RuncSpecInput): Record<string, unknown> {
  const namespaces = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  // Only "none" gets a network namespace of its own; runc brings its loopback up.
  if (input.network === "none") namespaces.push({ type: "network" });
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: {
        uid: input.user.uid,
        gid: input.user.gid,
        ...(input.user.additionalGids.length > 0 ? { additionalGids: input.user.additionalGids } : {}),
      },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: {
        bounding: DEFAULT_CAPABILITIES,
        effective: DEFAULT_CAPABILITIES,
        permitted: DEFAULT_CAPABILITIES,
      },
      rlimits: input.rlimits,
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts: specMounts(input),
    linux: {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces,
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
