// A client for Vault's KV version 2 secrets engine over its HTTP API (token auth): read the current
// or a given version of a secret, write a new version (optionally check-and-set). Hand-written over
// fetch because the API used is two JSON endpoints; the Node Vault clients would add a dependency
// tree for them. Errors carry Vault's own `errors` list and the path, never the token or any value.
//
//   GET  /v1/<mount>/data/<path>[?version=N] -> {data: {data: {...}, metadata: {version, ...}}}
//   POST /v1/<mount>/data/<path> {options?: {cas}, data: {...}} -> {data: {version, ...}}
//   404 {"errors": []} when there is no such secret; 403 {"errors": ["permission denied"]}.

export interface VaultKv2Options {
  /** http(s)://host:port of the Vault server. */
  address: string;
  token: string;
  /** Mount path of the KV v2 engine (upstream `mountPath`, default "secret"). */
  mount: string;
  /** Vault Enterprise namespace (X-Vault-Namespace). */
  namespace?: string;
  timeoutMs: number;
}

export interface VaultSecretVersion {
  data: Record<string, unknown>;
  version: number;
}

/** A request Vault answered with an error status (`errors` as Vault sent them). */
export class VaultError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'VaultError';
  }

  /** A check-and-set write refused because the secret changed since it was read. */
  get isCasMismatch(): boolean {
    return this.status === 400 && this.message.includes('check-and-set');
  }
}

export class VaultKv2Client {
  private readonly base: string;

  constructor(private readonly opts: VaultKv2Options) {
    this.base = `${opts.address.replace(/\/+$/, '')}/v1/${trimSlashes(opts.mount)}`;
  }

  /** The current (or the given) version of the secret at `path`; undefined when there is none. */
  async read(path: string, version?: number): Promise<VaultSecretVersion | undefined> {
    const query = version === undefined ? '' : `?version=${version}`;
    const res = await this.call('GET', `data/${encodePath(path)}${query}`, path);
    // 404 with errors: [] is "no such secret"; with an error text (no handler for route) the mount is wrong
    if (res.status === 404 && hasErrorText(res.body)) throw new VaultError(vaultMessage('read', path, res), 404);
    if (res.status === 404) return undefined;
    const body = res.body as { data?: { data?: unknown; metadata?: { version?: unknown } } } | undefined;
    const data = body?.data?.data;
    // a deleted or destroyed version reads as data: null (with its metadata): no secret there
    if (data === null || data === undefined) return undefined;
    if (typeof data !== 'object' || Array.isArray(data))
      throw new VaultError(`vault: unexpected answer reading "${path}": data.data is not an object`, res.status);
    return { data: data as Record<string, unknown>, version: Number(body?.data?.metadata?.version ?? 0) };
  }

  /**
   * Writes `data` as a new version of `path` and returns its version number. `cas`: write only if
   * the current version is this one (0: only if the secret does not exist yet).
   */
  async write(path: string, data: Record<string, unknown>, cas?: number): Promise<number> {
    const payload = cas === undefined ? { data } : { options: { cas }, data };
    const res = await this.call('POST', `data/${encodePath(path)}`, path, payload);
    if (res.status === 404) throw new VaultError(vaultMessage('write', path, res), res.status);
    return Number((res.body as { data?: { version?: unknown } } | undefined)?.data?.version ?? 0);
  }

  /** Sends one request; any status but 2xx and 404 becomes a VaultError with Vault's message. */
  private async call(
    method: string,
    rel: string,
    path: string,
    payload?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { 'X-Vault-Token': this.opts.token, accept: 'application/json' };
    if (this.opts.namespace) headers['X-Vault-Namespace'] = this.opts.namespace;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}/${rel}`, {
        method,
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : causeOf(e);
      throw new VaultError(`vault: cannot reach ${this.opts.address} (${why}); is Vault running there?`, 0);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const answer = { status: res.status, body };
    if (res.ok || res.status === 404) return answer;
    throw new VaultError(vaultMessage(method === 'GET' ? 'read' : 'write', path, answer), res.status);
  }
}

function errorTexts(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? errors.map(String) : [];
}

function hasErrorText(body: unknown): boolean {
  return errorTexts(body).length > 0;
}

function vaultMessage(op: string, path: string, res: { status: number; body: unknown }): string {
  const said = errorTexts(res.body).join('; ') || 'no error text';
  const hint =
    res.status === 403
      ? ' (check the token and that its policy allows this path)'
      : res.status === 404
        ? ' (is mountPath the mount of a KV version 2 engine?)'
        : '';
  return `vault: ${op} "${path}" failed: HTTP ${res.status}: ${said}${hint}`;
}

function causeOf(e: Error): string {
  const cause = e.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? e.message;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

/** Each segment URL-encoded, the slashes between them kept (Vault paths are hierarchical). */
function encodePath(path: string): string {
  return trimSlashes(path).split('/').map(encodeURIComponent).join('/');
}
