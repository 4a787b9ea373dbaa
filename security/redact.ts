// Credentials embedded in URLs (`https://user:token@host/repo.git`) must never reach a log line, a
// banner, an error message or a file: they are split off where a URL comes in and passed on
// separately (an auth callback), and any text that may quote a URL is redacted before it is shown.

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;

/** `https://user:token@host/x` -> `https://host/x`, for every URL in `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1');
}

/** A URL without its user info, and the credentials it carried (percent-decoded), if any. */
export function splitUrlCredentials(url: string): { url: string; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: redactUrlCredentials(url) };
  }
  if (!parsed.username && !parsed.password) return { url };
  const username = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), username, ...(password ? { password } : {}) };
}
