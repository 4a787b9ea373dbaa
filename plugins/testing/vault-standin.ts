// A local stand-in for HashiCorp Vault's KV version 2 HTTP API, for tests (Vault itself is not
// installable here). It answers the documented shapes (developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2)
// for one KV v2 mount and one token:
//   GET    /v1/<mount>/data/<path>[?version=N]  {data: {data, metadata: {created_time, custom_metadata,
//                                                deletion_time, destroyed, version}}}
//   POST   /v1/<mount>/data/<path>              {options?: {cas}, data} -> {data: <version metadata>}
//   GET    /v1/<mount>/metadata/<path>          {data: {current_version, oldest_version, versions, ...}}
//   LIST   /v1/<mount>/metadata/<path> (or GET ?list=true)  {data: {keys: [...]}} ("dir/" for folders)
//   DELETE /v1/<mount>/metadata/<path>          204
// with Vault's error bodies: 403 {"errors":["permission denied"]} for a wrong token or a denied path,
// 404 {"errors":[]} for a missing secret, 404 "no handler for route" outside the mount, 400 on a
// check-and-set mismatch.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serve, type TestServer } from './http.ts';

interface StoredVersion {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

export interface VaultStandin extends TestServer {
  /** The current data of a secret, or undefined. */
  read(path: string): Record<string, unknown> | undefined;
  /** Writes a new version directly (test setup). */
  write(path: string, data: Record<string, unknown>): void;
  /** Every version of a secret, oldest first. */
  versions(path: string): Array<Record<string, unknown> | null>;
  /** Paths whose requests are answered 403, as a token policy would. */
  deny(path: string): void;
  /** Each request as received: method, url, and the token and namespace headers. */
  readonly requests: Array<{ method: string; url: string; token?: string; namespace?: string }>;
}

export async function startVaultStandin(opts: { token: string; mount?: string }): Promise<VaultStandin> {
  const mount = opts.mount ?? 'secret';
  const secrets = new Map<string, StoredVersion[]>();
  const denied = new Set<string>();
  const requests: VaultStandin['requests'] = [];

  const put = (path: string, data: Record<string, unknown>): StoredVersion[] => {
    const versions = secrets.get(path) ?? [];
    versions.push({ data, created_time: new Date().toISOString(), deletion_time: '', destroyed: false });
    secrets.set(path, versions);
    return versions;
  };
  const versionMeta = (v: StoredVersion, n: number) => ({
    created_time: v.created_time,
    custom_metadata: null,
    deletion_time: v.deletion_time,
    destroyed: v.destroyed,
    version: n,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    const token = header(req, 'x-vault-token');
    requests.push({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      token,
      namespace: header(req, 'x-vault-namespace'),
    });
    const send = (status: number, data?: unknown) => {
      if (status === 204) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      const body =
        status >= 400
          ? data
          : {
              request_id: randomUUID(),
              lease_id: '',
              renewable: false,
              lease_duration: 0,
              data,
              wrap_info: null,
              warnings: null,
              auth: null,
            };
      res.end(JSON.stringify(body));
    };
    if (token !== opts.token) return send(403, { errors: ['permission denied'] });
    const m = new RegExp(`^/v1/${mount}/(data|metadata)/(.*)$`).exec(url.pathname);
    const route = url.pathname.replace(/^\/v1\//, '');
    if (!m) return send(404, { errors: [`no handler for route "${route}". route entry not found.`] });
    const kind = m[1]!;
    const path = decodeURIComponent(m[2]!).replace(/\/+$/, '');
    if (denied.has(path)) return send(403, { errors: ['permission denied'] });
    const body = await readBody(req);
    const method = req.method === 'GET' && url.searchParams.get('list') === 'true' ? 'LIST' : req.method;

    if (kind === 'data' && method === 'GET') {
      const versions = secrets.get(path);
      if (!versions || versions.length === 0) return send(404, { errors: [] });
      const n = url.searchParams.has('version') ? Number(url.searchParams.get('version')) : versions.length;
      const v = versions[(n === 0 ? versions.length : n) - 1];
      if (!v) return send(404, { errors: [] });
      const answer = { data: v.data, metadata: versionMeta(v, n === 0 ? versions.length : n) };
      // a deleted or destroyed version: 404 with its metadata, as Vault answers
      return send(v.data === null ? 404 : 200, v.data === null ? { errors: [], data: answer } : answer);
    }
    if (kind === 'data' && (method === 'POST' || method === 'PUT')) {
      let parsed: { data?: unknown; options?: { cas?: unknown } };
      try {
        parsed = JSON.parse(body || '{}') as typeof parsed;
      } catch {
        return send(400, { errors: ['error parsing JSON'] });
      }
      if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data))
        return send(400, { errors: ['no data provided'] });
      const current = secrets.get(path)?.length ?? 0;
      if (parsed.options?.cas !== undefined && Number(parsed.options.cas) !== current)
        return send(400, { errors: ['check-and-set parameter did not match the current version'] });
      const versions = put(path, parsed.data as Record<string, unknown>);
      return send(200, versionMeta(versions[versions.length - 1]!, versions.length));
    }
    if (kind === 'metadata' && method === 'LIST') {
      const prefix = path === '' ? '' : `${path}/`;
      const keys = new Set<string>();
      for (const p of secrets.keys()) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        keys.add(rest.includes('/') ? `${rest.slice(0, rest.indexOf('/'))}/` : rest);
      }
      if (keys.size === 0) return send(404, { errors: [] });
      return send(200, { keys: [...keys].sort() });
    }
    if (kind === 'metadata' && method === 'GET') {
      const versions = secrets.get(path);
      if (!versions) return send(404, { errors: [] });
      return send(200, {
        cas_required: false,
        created_time: versions[0]!.created_time,
        current_version: versions.length,
        custom_metadata: null,
        delete_version_after: '0s',
        max_versions: 0,
        oldest_version: 0,
        updated_time: versions[versions.length - 1]!.created_time,
        versions: Object.fromEntries(versions.map((v, i) => [String(i + 1), versionMeta(v, i + 1)])),
      });
    }
    if (kind === 'metadata' && method === 'DELETE') {
      secrets.delete(path);
      return send(204);
    }
    return send(405, { errors: ['unsupported operation'] });
  };

  const server = await serve(handle);
  return {
    ...server,
    requests,
    read: (path) => {
      const versions = secrets.get(path);
      return versions?.[versions.length - 1]?.data ?? undefined;
    },
    write: (path, data) => void put(path, data),
    versions: (path) => (secrets.get(path) ?? []).map((v) => v.data),
    deny: (path) => void denied.add(path),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
