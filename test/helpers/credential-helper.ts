/**
 * A real docker-credential helper for the tests: a shell script speaking the helper protocol
 * (get/store/erase/list, input on stdin, JSON on stdout, "credentials not found in native keychain"
 * with a non-zero exit), keeping its secrets as files in a directory and logging every call.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./tmp.ts";

const SCRIPT = `#!/bin/sh
db="$WHARF_TEST_HELPER_DB"
action="$1"
input=$(cat)
printf '%s %s\\n' "$action" "$input" >> "$db/log"
key() { printf %s "$1" | sha256sum | cut -c1-16; }
case "$action" in
  get)
    f="$db/$(key "$input").json"
    if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store)
    url=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p')
    printf %s "$input" > "$db/$(key "$url").json" ;;
  erase)
    rm -f "$db/$(key "$input").json" ;;
  list)
    echo "{}" ;;
  *)
    echo "unknown action: $action"; exit 1 ;;
esac
`;

export interface HelperFixture {
  /** Environment with the helpers' directory first on PATH. */
  readonly env: NodeJS.ProcessEnv;
  /** Each call as "ACTION INPUT". */
  log(): string[];
  /** Puts credentials in the helper's store directly. */
  put(serverUrl: string, username: string, secret: string): void;
}

/**
 * Installs `docker-credential-NAME` (the working helper) and `docker-credential-broken` (always
 * fails with "boom") in a temp dir.
 */
export function installCredentialHelper(name = "wharftest"): HelperFixture {
  const dir = tempDir("wharf-helper-");
  const bin = join(dir, "bin");
  const db = join(dir, "db");
  mkdirSync(bin);
  mkdirSync(db);
  writeFileSync(join(bin, `docker-credential-${name}`), SCRIPT);
  chmodSync(join(bin, `docker-credential-${name}`), 0o755);
  writeFileSync(join(bin, "docker-credential-broken"), "#!/bin/sh\ncat >/dev/null\necho boom\nexit 2\n");
  chmodSync(join(bin, "docker-credential-broken"), 0o755);
  writeFileSync(join(db, "log"), "");
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, WHARF_TEST_HELPER_DB: db };
  return {
    env,
    log: () =>
      readFileSync(join(db, "log"), "utf8")
        .split("\n")
        .filter((l) => l !== ""),
    put: (serverUrl, username, secret) => {
      const key = createHashHex(serverUrl);
      writeFileSync(
        join(db, `${key}.json`),
        JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }),
      );
    },
  };
}

function createHashHex(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
