// OAuth2 access tokens kept in a secrets provider, for http.client's oauth2_refresh_token auth
// (upstream module/http_client_oauth2.go secretsBackedTokenSource). The provider holds the token as
// golang.org/x/oauth2's Token JSON ({access_token, token_type, refresh_token, expiry}), put there by
// an authorization-code flow or step.secret_set. Each fetch reads it; while it is valid (expiry more
// than 10 s away, or none) it is used and cached; when it has expired, or the API answered 401, it is
// refreshed at `token_url` (RFC 6749 section 6: grant_type=refresh_token; client authentication with
// HTTP Basic, then in the form if the server refuses that, as x/oauth2's auto-detection does) and the
// new token is written back to the provider (a failed write is logged and the token still used).
// Errors never contain a token.
import { SecretNotFoundError, type Logger, type SecretsProvider } from '../../engine/index.ts';
import type { ClientCredentials } from './oauth2-client-credentials.ts';

const EXPIRY_DELTA_MS = 10_000;
// Go's zero time.Time, what x/oauth2 writes for a token without expiry
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

interface StoredToken {
  access_token?: string;
  token_type?: string;
  refresh_token?: string;
  expiry?: string;
}

export interface RefreshTokenStore {
  store: SecretsProvider;
  /** The provider's module name and the key, for messages. */
  storeName: string;
  key: string;
  owner: string;
  timeoutMs: number;
  logger: Logger;
}

export class RefreshTokenSource {
  private cached?: { value: string; expiresAt: number };
  private forceRefresh = false;
  private inFlight?: Promise<string>;

  constructor(
    private readonly creds: ClientCredentials,
    private readonly opts: RefreshTokenStore,
  ) {}

  async get(): Promise<string> {
    if (this.cached && Date.now() < this.cached.expiresAt) return this.cached.value;
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** The API refused the token: drop it and refresh on the next call, even if it looks valid. */
  invalidate(): void {
    this.cached = undefined;
    this.forceRefresh = true;
  }

  private async load(): Promise<string> {
    const { owner, storeName, key } = this.opts;
    const where = `secrets module "${storeName}" at "${key}"`;
    let raw: string;
    try {
      raw = await this.opts.store.getSecret(key);
    } catch (err) {
      if (err instanceof SecretNotFoundError)
        throw new Error(
          `${owner}: no OAuth2 token in ${where}; store the token JSON there (e.g. with step.secret_set)`,
        );
      throw new Error(`${owner}: reading the OAuth2 token from ${where}: ${(err as Error).message}`);
    }
    let stored: StoredToken;
    try {
      stored = JSON.parse(raw) as StoredToken;
      if (stored === null || typeof stored !== 'object') throw new Error('not an object');
    } catch {
      throw new Error(
        `${owner}: the value in ${where} is not an OAuth2 token JSON object ` +
          '({"access_token", "refresh_token", "expiry"}); with Vault, name the field: "path#value"',
      );
    }
    const forced = this.forceRefresh;
    this.forceRefresh = false;
    const expiresAt = expiryOf(stored.expiry);
    if (stored.access_token && !forced && Date.now() < expiresAt - EXPIRY_DELTA_MS) {
      this.cached = { value: stored.access_token, expiresAt: expiresAt - EXPIRY_DELTA_MS };
      return stored.access_token;
    }
    if (!stored.refresh_token)
      throw new Error(`${owner}: the OAuth2 token in ${where} has expired (or was refused) and has no refresh_token`);
    const fresh = await this.refresh(stored.refresh_token);
    try {
      await this.opts.store.setSecret(key, JSON.stringify(fresh.stored));
    } catch (err) {
      this.opts.logger.warn(
        { component: 'http.client', module: owner, err: (err as Error).message },
        'could not write the refreshed OAuth2 token back; it is used for this process only',
      );
    }
    this.cached = { value: fresh.stored.access_token!, expiresAt: fresh.expiresAt - EXPIRY_DELTA_MS };
    return fresh.stored.access_token!;
  }

  private async refresh(refreshToken: string): Promise<{ stored: StoredToken; expiresAt: number }> {
    const { owner } = this.opts;
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    let res = await this.post(form, true);
    if (res.status >= 400 && res.status < 500) {
      // the server may want the client credentials in the form instead of a Basic header
      form.set('client_id', this.creds.clientId);
      form.set('client_secret', this.creds.clientSecret);
      res = await this.post(form, false);
    }
    if (res.status !== 200)
      throw new Error(
        `${owner}: refreshing the OAuth2 token at ${this.creds.tokenUrl} failed: HTTP ${res.status}: ` +
          oauthError(res.text),
      );
    let body: { access_token?: unknown; token_type?: unknown; refresh_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new Error(`${owner}: the token endpoint ${this.creds.tokenUrl} did not answer JSON`);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw new Error(`${owner}: the token response from ${this.creds.tokenUrl} has no access_token`);
    const seconds = Number(body.expires_in);
    const expiresAt = Number.isFinite(seconds) && seconds > 0 ? Date.now() + seconds * 1000 : Infinity;
    return {
      expiresAt,
      stored: {
        access_token: body.access_token,
        token_type: typeof body.token_type === 'string' ? body.token_type : 'Bearer',
        // a server that does not rotate refresh tokens leaves it out: keep the one we have (as x/oauth2)
        refresh_token: typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : refreshToken,
        expiry: expiresAt === Infinity ? GO_ZERO_TIME : new Date(expiresAt).toISOString(),
      },
    };
  }

  private async post(form: URLSearchParams, basic: boolean): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (basic) {
      // RFC 6749 2.3.1: the id and secret are form-urlencoded before Basic encoding
      const user = `${encodeURIComponent(this.creds.clientId)}:${encodeURIComponent(this.creds.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    }
    try {
      const res = await fetch(this.creds.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      return { status: res.status, text: await res.text() };
    } catch (err) {
      const e = err as Error;
      const why = (e.cause as Error)?.message ?? e.message;
      throw new Error(`${this.opts.owner}: token request to ${this.creds.tokenUrl} failed: ${why}`);
    }
  }
}

/** ms since the epoch: Infinity for no expiry (absent or Go's zero time), 0 (expired) when unparsable. */
function expiryOf(expiry: string | undefined): number {
  if (!expiry || expiry.startsWith('0001-01-01')) return Infinity;
  const t = Date.parse(expiry);
  return Number.isNaN(t) ? 0 : t;
}

/** The RFC 6749 5.2 error fields of a token endpoint's answer (never the rest, which may echo a token). */
function oauthError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    if (typeof body.error === 'string')
      return typeof body.error_description === 'string' ? `${body.error}: ${body.error_description}` : body.error;
  } catch {
    // not JSON
  }
  return 'no OAuth2 error in the answer';
}
