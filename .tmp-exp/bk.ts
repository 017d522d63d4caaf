import { spawnSync, execFileSync } from "node:child_process";
import { startDockerd } from "../test/helpers/dockerd.ts";
const d = await startDockerd({ insecureRegistries: ["127.0.0.1:5000"] });
const sock = d.host;
const env = { ...process.env, DOCKER_BUILDKIT: "1", DOCKER_CONFIG: "/tmp/dcfg" };
const dk = (args: string[]) => spawnSync("/usr/bin/docker", ["-H", sock, ...args], { env, encoding: "utf8" });
// the base as 127.0.0.1:5000/nodeapp:latest: via wharf save -> docker load
execFileSync("node", ["/work/main/dist/bin/wharf.js", "save", "-o", "/tmp/nodeapp.tar", "127.0.0.1:5000/nodeapp:latest"], { env: { ...process.env, WHARF_ROOT: "/tmp/wr" } });
console.log(dk(["load", "-i", "/tmp/nodeapp.tar"]).stdout);
const build = () => { execFileSync("sync"); const t = performance.now(); const r = dk(["build", "--network", "none", "--progress", "plain", "-t", "bk:1", "/tmp/ctx-bk"]); const s = (performance.now() - t) / 1000; return { s, out: r.stderr }; };
execFileSync("rm", ["-rf", "/tmp/ctx-bk"]); execFileSync("cp", ["-r", "/tmp/ctx-node", "/tmp/ctx-bk"]);
console.log("cold", build().s.toFixed(2));
for (let i = 0; i < 4; i++) {
  execFileSync("sh", ["-c", `echo '// bk${i}' >> /tmp/ctx-bk/src/mod00/file000.js`]);
  const r = build();
  console.log("edited", r.s.toFixed(2));
  const lines = r.out.split("\n").filter((l) => /^#\d+ (\[|DONE|CACHED)|exporting|writing/.test(l));
  if (i === 3) console.log(lines.join("\n"));
}
await d.stop?.();
