// OAuth2 client-credentials tokens for outbound calls (RFC 6749 4.4), as upstream's http.client and
// step.http_call fetch them: POST `token_url` a form with grant_type=client_credentials, client_id,
// client_secret and `scope` (space separated); the JSON answer's access_token is cached until
// `expires_in` (3600 s when absent) minus a 10 s margin. Concurrent callers share one fetch; a 401
// from the API invalidates the token so the next call fetches a new one.

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

const EXPIRY_MARGIN_MS = 10_000;

export class ClientCredentialsTokenSource {
  private token?: { value: string; expiresAt: number };
  private inFlight?: Promise<string>;

  constructor(
    private readonly creds: ClientCredentials,
    private readonly owner: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** A valid access token: the cached one, or a fresh one (one fetch for all concurrent callers). */
  async get(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.creds.clientId,
      client_secret: this.creds.clientSecret,
    });
    if (this.creds.scopes.length > 0) form.set('scope', this.creds.scopes.join(' '));
    let res: Response;
    try {
      res = await fetch(this.creds.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      throw new Error(
        `${this.owner}: token request to ${this.creds.tokenUrl} failed: ${(e.cause as Error)?.message ?? e.message}`,
      );
    }
    const text = await res.text();
    if (res.status !== 200)
      throw new Error(`${this.owner}: token endpoint ${this.creds.tokenUrl} returned HTTP ${res.status}: ${text}`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(
        `${this.owner}: token endpoint ${this.creds.tokenUrl} did not answer JSON: ${text.slice(0, 200)}`,
      );
    }
    if (typeof body.access_token !== 'string' || body.access_token === '')
      throw new Error(`${this.owner}: token response from ${this.creds.tokenUrl} has no access_token`);
    const seconds = Number(body.expires_in);
    const ttlMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_600_000;
    this.token = {
      value: body.access_token,
      expiresAt: Date.now() + (ttlMs > EXPIRY_MARGIN_MS ? ttlMs - EXPIRY_MARGIN_MS : ttlMs),
    };
    return body.access_token;
  }
}
