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

/** A self-signed RSA certificate and key made with the openssl CLI: { keyPath, certPath } in `dir`. */
export async function selfSignedCertificate(
  dir: string,
  subject: string,
  extra: string[] = [],
): Promise<{ keyPath: string; certPath: string }> {
  const keyPath = `${dir}/key.pem`;
  const certPath = `${dir}/cert.pem`;
  await tool("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    subject,
    ...extra,
  ]);
  return { keyPath, certPath };
}
