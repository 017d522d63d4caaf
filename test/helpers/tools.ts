/** Real peer tools (skopeo, umoci, ...), installed by .ci/run. A missing tool fails the test, never skips it. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export async function tool(name: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(name, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT")
      throw new Error(`${name} is not installed: run .ci/run or apt-get install ${name}`);
    throw new Error(`${name} ${args.join(" ")} failed: ${e.stderr ?? e.message}`);
  }
}
