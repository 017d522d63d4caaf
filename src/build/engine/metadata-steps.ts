/**
 * The instructions that change only the image config: each updates the stage and adds its history
 * entry (`empty_layer`), with the created_by text BuildKit's dockerfile2llb writes. Words are
 * expanded before the instruction runs, with the stage's variables as they were (BuildKit's
 * SupportsSingleWordExpansion), so `ENV A=1 B=$A` sees the old A.
 */
import type { Command } from "../../dockerfile/instructions/commands.ts";
import { WharfError } from "../../errors.ts";
import { formatHealthcheck, quoteList } from "./go-print.ts";
import type { Expander } from "./scope.ts";
import type { StageState } from "./stage-state.ts";
import type { StageVars } from "./stage-vars.ts";

/** Applies a metadata instruction; false for one this module does not handle (RUN, COPY, ...). */
export function applyMetadata(cmd: Command, state: StageState, vars: StageVars, expander: Expander): boolean {
  const expand = (word: string) => expander.word(word, vars.all());
  switch (cmd.type) {
    case "ENV": {
      const pairs = cmd.env.map((e) => ({ key: expand(e.key), value: expand(e.value) }));
      for (const { key, value } of pairs) {
        state.setEnv(key, value);
        vars.set(key, value);
      }
      state.addMetadataHistory(`ENV ${pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`);
      return true;
    }
    case "LABEL": {
      const pairs = cmd.labels.map((l) => ({ key: expand(l.key), value: expand(l.value) }));
      state.run.Labels = { ...(state.run.Labels ?? {}) };
      for (const { key, value } of pairs) state.run.Labels[key] = value;
      state.addMetadataHistory(`LABEL ${pairs.map((p) => `${p.key}=${p.value}`).join(" ")}`);
      return true;
    }
    case "MAINTAINER":
      state.config.author = cmd.maintainer;
      state.addMetadataHistory(`MAINTAINER ${cmd.maintainer}`);
      return true;
    case "CMD": {
      const args = cmd.prependShell ? [...state.shell, cmd.cmdLine.join(" ")] : cmd.cmdLine;
      state.run.Cmd = args;
      state.run.ArgsEscaped = true;
      vars.cmdSet = true;
      state.addMetadataHistory(`CMD ${quoteList(args)}`);
      return true;
    }
    case "ENTRYPOINT": {
      const args = cmd.prependShell ? [...state.shell, cmd.cmdLine.join(" ")] : cmd.cmdLine;
      state.run.Entrypoint = args;
      if (!vars.cmdSet) state.run.Cmd = null;
      state.addMetadataHistory(`ENTRYPOINT ${quoteList(args)}`);
      return true;
    }
    case "HEALTHCHECK": {
      const h = cmd.health;
      state.run.Healthcheck = {
        Test: h.test,
        ...(h.interval ? { Interval: h.interval } : {}),
        ...(h.timeout ? { Timeout: h.timeout } : {}),
        ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}),
        ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
        ...(h.retries ? { Retries: h.retries } : {}),
      };
      state.addMetadataHistory(`HEALTHCHECK ${formatHealthcheck(h)}`);
      return true;
    }
    case "EXPOSE": {
      const ports = cmd.ports.flatMap((p) => expander.words(p, vars.all())).map(normalisePort);
      state.run.ExposedPorts = { ...(state.run.ExposedPorts ?? {}) };
      for (const port of ports) state.run.ExposedPorts[port] = {};
      state.addMetadataHistory(`EXPOSE [${ports.join(" ")}]`);
      return true;
    }
    case "USER": {
      const user = expand(cmd.user);
      state.run.User = user;
      state.addMetadataHistory(`USER ${user}`);
      return true;
    }
    case "VOLUME": {
      const volumes = cmd.volumes.map(expand);
      state.run.Volumes = { ...(state.run.Volumes ?? {}) };
      for (const v of volumes) {
        if (v === "") throw new WharfError("BUILD_INVALID", "VOLUME specified can not be an empty string");
        state.run.Volumes[v] = {};
      }
      state.addMetadataHistory(`VOLUME [${volumes.join(" ")}]`);
      return true;
    }
    case "STOPSIGNAL": {
      const signal = expand(cmd.signal);
      state.run.StopSignal = signal;
      state.addMetadataHistory(`STOPSIGNAL ${signal}`);
      return true;
    }
    case "SHELL":
      state.run.Shell = cmd.shell;
      state.addMetadataHistory(`SHELL [${cmd.shell.join(" ")}]`);
      return true;
    case "ONBUILD":
      // Recorded only: BuildKit writes no history entry for ONBUILD.
      state.run.OnBuild = [...(state.run.OnBuild ?? []), cmd.expression];
      return true;
    case "ARG": {
      const parts: string[] = [];
      for (const arg of cmd.args) {
        const value = vars.declareArg(arg.key, arg.value === undefined ? undefined : expand(arg.value));
        parts.push(value === undefined ? arg.key : `${arg.key}=${value}`);
      }
      state.addMetadataHistory(`ARG ${parts.join(" ")}`);
      return true;
    }
    default:
      return false;
  }
}

/** docker's nat.ParsePortSpec for EXPOSE: `80` is `80/tcp`; ranges `8000-8002/udp` expand. */
function normalisePort(spec: string): string {
  const slash = spec.lastIndexOf("/");
  const port = slash < 0 ? spec : spec.slice(0, slash);
  const proto = (slash < 0 ? "tcp" : spec.slice(slash + 1)).toLowerCase();
  if (!/^\d+(-\d+)?$/.test(port)) throw new WharfError("BUILD_INVALID", `invalid containerPort: ${port}`);
  if (!["tcp", "udp", "sctp"].includes(proto))
    throw new WharfError("BUILD_INVALID", `invalid proto: ${proto}`);
  return `${port}/${proto}`;
}
