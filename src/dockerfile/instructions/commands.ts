/**
 * Typed instructions, after BuildKit's frontend/dockerfile/instructions/commands.go (ported, not
 * copied): one interface per instruction, told apart by `type` (the instruction in capitals).
 * Values are as written: variables are expanded later, by the build, with the stage's environment.
 */
import type { Device } from "./run-device.ts";
import type { Mount } from "./run-mount.ts";

/** What every instruction carries (BuildKit's withNameAndCode). */
export interface CommandBase {
  /** The instruction word in lower case (`run`). */
  name: string;
  /** The instruction line as written, trimmed (its String()). */
  code: string;
  startLine: number;
  endLine: number;
  /** The comment lines right above the instruction. */
  comments: string[];
}

export interface KeyValuePair {
  key: string;
  value: string;
  /** `ENV key value` (the legacy form, no `=`). */
  noDelim: boolean;
}

export interface ArgDefinition {
  key: string;
  /** Undefined when no default is given (`ARG name`). */
  value: string | undefined;
  /** The text after `# NAME ` in the comments above, "" if none. */
  docComment: string;
}

/** RUN, CMD and ENTRYPOINT: shell form (a one-element command line run by SHELL) or exec form. */
export interface ShellDependentCmdLine {
  cmdLine: string[];
  /** The heredoc bodies of the line (RUN <<EOF). */
  files: ShellInlineFile[];
  /** True for the shell form: the build runs the line through the stage's SHELL. */
  prependShell: boolean;
}

export interface ShellInlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

/** A heredoc given as a COPY/ADD source: its body becomes a file named after the heredoc. */
export interface SourceContent {
  path: string;
  data: string;
  expand: boolean;
}

export interface SourcesAndDest {
  destPath: string;
  sourcePaths: string[];
  sourceContents: SourceContent[];
}

export interface EnvCommand extends CommandBase {
  type: "ENV";
  env: KeyValuePair[];
}
export interface LabelCommand extends CommandBase {
  type: "LABEL";
  labels: KeyValuePair[];
}
export interface MaintainerCommand extends CommandBase {
  type: "MAINTAINER";
  maintainer: string;
}
export interface AddCommand extends CommandBase, SourcesAndDest {
  type: "ADD";
  chown: string;
  chmod: string;
  link: boolean;
  /** Undefined unless --keep-git-dir was given. */
  keepGitDir: boolean | undefined;
  checksum: string;
  excludePatterns: string[];
  /** Undefined unless --unpack was given. */
  unpack: boolean | undefined;
}
export interface CopyCommand extends CommandBase, SourcesAndDest {
  type: "COPY";
  from: string;
  chown: string;
  chmod: string;
  link: boolean;
  parents: boolean;
  excludePatterns: string[];
}
export interface OnbuildCommand extends CommandBase {
  type: "ONBUILD";
  /** The trigger instruction's text (heredoc bodies appended), parsed again by a child build. */
  expression: string;
}
export interface WorkdirCommand extends CommandBase {
  type: "WORKDIR";
  path: string;
}
export type NetworkMode = "default" | "none" | "host";
export type SecurityMode = "sandbox" | "insecure";
export interface RunCommand extends CommandBase, ShellDependentCmdLine {
  type: "RUN";
  /** The flags given (`mount`, `network`, ...), in the order given. */
  flagsUsed: string[];
  /** The --mount values as written, for the build to parse with its expander (parseMount). */
  mountSpecs: string[];
  /** The mounts as parse time knows them (no expansion: see run-mount.ts). */
  mounts: Mount[];
  network: NetworkMode;
  security: SecurityMode;
  devices: Device[];
}
export interface CmdCommand extends CommandBase, ShellDependentCmdLine {
  type: "CMD";
}
export interface EntrypointCommand extends CommandBase, ShellDependentCmdLine {
  type: "ENTRYPOINT";
}
/** The image config's Healthcheck; durations in nanoseconds, 0 meaning "inherit the default". */
export interface HealthConfig {
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface HealthCheckCommand extends CommandBase {
  type: "HEALTHCHECK";
  health: HealthConfig;
}
export interface ExposeCommand extends CommandBase {
  type: "EXPOSE";
  /** Sorted, as BuildKit sorts them. */
  ports: string[];
}
export interface UserCommand extends CommandBase {
  type: "USER";
  user: string;
}
export interface VolumeCommand extends CommandBase {
  type: "VOLUME";
  volumes: string[];
}
export interface StopSignalCommand extends CommandBase {
  type: "STOPSIGNAL";
  signal: string;
}
export interface ArgCommand extends CommandBase {
  type: "ARG";
  args: ArgDefinition[];
}
export interface ShellCommand extends CommandBase {
  type: "SHELL";
  shell: string[];
}

/** Every instruction but FROM: what a stage is made of. */
export type Command =
  | EnvCommand
  | LabelCommand
  | MaintainerCommand
  | AddCommand
  | CopyCommand
  | OnbuildCommand
  | WorkdirCommand
  | RunCommand
  | CmdCommand
  | EntrypointCommand
  | HealthCheckCommand
  | ExposeCommand
  | UserCommand
  | VolumeCommand
  | StopSignalCommand
  | ArgCommand
  | ShellCommand;

/** FROM and the instructions up to the next FROM. */
export interface Stage {
  type: "FROM";
  /** The image or stage built upon (`busybox`, `${BASE}`), unexpanded. */
  baseName: string;
  /** The instruction word as written (`FROM`, `from`). */
  origCmd: string;
  /** The `AS` name in lower case, "" if none. */
  name: string;
  /** The FROM line, trimmed. */
  sourceCode: string;
  /** --platform as written, "" if none. */
  platform: string;
  commands: Command[];
  startLine: number;
  endLine: number;
  comments: string[];
  docComment: string;
}

export type Instruction = Command | Stage;
