/**
 * SecretsUsedInArgOrEnv's name test (dockerfile2llb's getSecretsRegex): a secret-sounding word as
 * the whole name or one `_`-separated part of it, unless a word that marks a non-secret is too
 * (`PUBLIC_KEY`, `PASSWORD_FILE`, `AUTH_VERSION`). Case-insensitive.
 */
const SECRET_WORDS = [
  "apikey",
  "auth",
  "credential",
  "credentials",
  "key",
  "password",
  "pword",
  "passwd",
  "secret",
  "token",
];
const ALLOWED_WORDS = ["public", "file", "version"];

const SECRET = new RegExp(`(?:_|^)(?:${SECRET_WORDS.join("|")})(?:_|$)`, "i");
const ALLOWED = new RegExp(`(?:_|^)(?:${ALLOWED_WORDS.join("|")})(?:_|$)`, "i");

export function looksLikeSecret(name: string): boolean {
  return SECRET.test(name) && !ALLOWED.test(name);
}
