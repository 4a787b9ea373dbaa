// The registry HTTP API and sync job against a real git repository in a temp dir: search, versions,
// range resolution, downloads with sha256, caching headers, static layout, rate limit, push hook,
// refused commits, immutability at sync, persistence across restarts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import {
  IntegrityError,
  RegistryClient,
  signBody,
  startRegistryServer,
  writeTarGz,
  type RegistryServer,
} from '../registry-index/index.ts';
import { git, json, manifest, tempDir } from './registry-support.ts';

const logger = pino({ level: 'silent' });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const archive = writeTarGz([{ path: 'stash/stash', data: '#!/bin/sh\necho stash\n', mode: 0o755 }]);
const artifactBytes = Buffer.from('not really a tarball, but bytes with a known digest');

let dirs: ReturnType<typeof tempDir>;
let repo: string;
let artifacts: Server;
let artifactsUrl: string;
let server: RegistryServer;
const secret = 'hook-secret';

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), content);
}

function commit(message: string): string {
  git(repo, 'add', '-A', '.');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

async function syncNow(): Promise<Record<string, unknown>> {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const r = await fetch(`${server.url}/api/v1/sync?wait=1`, {
    method: 'POST',
    body,
    headers: { 'x-github-event': 'push', 'x-hub-signature-256': signBody(secret, body) },
  });
  assert.equal(r.status, 200);
  return ((await r.json()) as { result: Record<string, unknown> }).result;
}

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
const getJson = async <T = unknown>(path: string): Promise<T> => {
  const r = await get(path);
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return (await r.json()) as T;
};

before(async () => {
  dirs = tempDir('registry-api-');
  repo = join(dirs.path, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  artifacts = createServer((req, res) => res.end(req.url === '/good.tar.gz' ? artifactBytes : Buffer.from('tampered')));
  await new Promise<void>((r) => artifacts.listen(0, '127.0.0.1', r));
  artifactsUrl = `http://127.0.0.1:${(artifacts.address() as AddressInfo).port}`;

  write(
    'plugins/http/manifest.json',
    json(
      manifest('workflow-plugin-http', {
        description: 'HTTP server, router and middleware',
        keywords: ['http', 'server', 'router'],
        tier: 'core',
        type: 'builtin',
        category: 'core',
      }),
    ),
  );
  write(
    'plugins/http-cache/manifest.json',
    json(manifest('http-cache', { description: 'Response caching for HTTP routes', keywords: ['cache'] })),
  );
  write(
    'plugins/router-extras/manifest.json',
    json(manifest('router-extras', { description: 'More routes for the HTTP router' })),
  );
  write(
    'plugins/secret-thing/manifest.json',
    json(manifest('secret-thing', { private: true, description: 'internal http helper' })),
  );
  write(
    'plugins/stash/manifest.json',
    json(
      manifest('stash', {
        version: '1.3.0',
        downloads: [{ os: 'linux', arch: 'amd64', url: 'dist/stash-linux-amd64.tar.gz', sha256: sha(archive) }],
      }),
    ),
  );
  write('plugins/stash/dist/stash-linux-amd64.tar.gz', archive);
  write('plugins/stash/versions/1.0.0.json', json(manifest('stash', { version: '1.0.0' })));
  write(
    'plugins/stash/versions/1.2.0.json',
    json(manifest('stash', { version: '1.2.0', yanked: { reason: 'corrupts data' } })),
  );
  write('plugins/stash/versions/2.0.0-rc.1.json', json(manifest('stash', { version: '2.0.0-rc.1' })));
  write(
    'plugins/remote/manifest.json',
    json(
      manifest('remote', {
        downloads: [
          { os: 'linux', arch: 'amd64', url: `${artifactsUrl}/good.tar.gz`, sha256: sha(artifactBytes) },
          { os: 'linux', arch: 'arm64', url: `${artifactsUrl}/bad.tar.gz`, sha256: sha(artifactBytes) },
          { os: 'darwin', arch: 'arm64', url: `${artifactsUrl}/good.tar.gz` },
        ],
      }),
    ),
  );
  commit('initial registry');
  server = await startRegistryServer({
    repo,
    dataDir: join(dirs.path, 'data'),
    schedule: null,
    webhookSecret: secret,
    logger,
  });
  assert.equal((await server.initialSync).outcome, 'updated');
});

after(async () => {
  await server?.close();
  await new Promise((r) => artifacts?.close(r));
  dirs?.cleanup();
});

test('search ranks name over keyword over description, filters, pages, hides private plugins', async () => {
  const r = await get('/api/v1/plugins?q=http');
  assert.equal(r.headers.get('x-total-count'), '3');
  const names = ((await r.json()) as Array<{ name: string; score: number }>).map((p) => p.name);
  assert.deepEqual(names, ['http', 'http-cache', 'router-extras']);
  assert.deepEqual(
    (await getJson<Array<{ name: string }>>('/api/v1/plugins?q=http&tier=core')).map((p) => p.name),
    ['http'],
  );
  assert.deepEqual(
    (await getJson<Array<{ name: string }>>('/api/v1/plugins?q=rout')).map((p) => p.name),
    ['router-extras', 'http', 'http-cache'],
  );
  const page = await get('/api/v1/plugins?perPage=2');
  assert.equal(page.headers.get('x-total-count'), '5');
  assert.match(page.headers.get('link') ?? '', /page=2>; rel="next"/);
  // substring fallback, as upstream clients match
  assert.deepEqual(
    (await getJson<Array<{ name: string }>>('/api/v1/plugins?q=ttp-cach')).map((p) => p.name),
    ['http-cache'],
  );
  assert.equal((await get('/api/v1/plugins?page=0')).status, 400);
});

test('plugin document, versions, and npm-style range resolution (yanked and prerelease aware)', async () => {
  const doc = await getJson<{
    name: string;
    distTags: { latest: string };
    versions: Array<{ version: string; yanked?: unknown }>;
  }>('/api/v1/plugins/stash');
  assert.equal(doc.distTags.latest, '1.3.0');
  assert.deepEqual(
    doc.versions.map((v) => v.version),
    ['2.0.0-rc.1', '1.3.0', '1.2.0', '1.0.0'],
  );
  assert.deepEqual(await getJson('/api/v1/plugins/stash/versions?range=^1'), ['1.3.0', '1.0.0']);
  const client = new RegistryClient({ baseUrl: server.url });
  assert.equal((await client.resolve('stash', '^1.0')).version, '1.3.0');
  // only 1.2.0 matches, and it is yanked
  assert.equal(await client.resolve('stash', '~1.2.0').catch((e) => e.status), 404);
  assert.equal((await client.resolve('stash', '1.2.0')).version, '1.2.0'); // exact versions resolve even when yanked
  assert.equal((await client.resolve('stash', '^2.0.0-rc.0')).version, '2.0.0-rc.1');
  assert.equal((await client.resolve('stash', 'latest')).version, '1.3.0');
  // aliases: manifest name and the workflow-plugin- prefix
  assert.equal((await client.plugin('workflow-plugin-http')).name, 'http');
  // a range semver cannot read is a 400 on both routes, with the same message
  const badResolve = await get('/api/v1/plugins/stash/resolve?range=not-a-range');
  assert.equal(badResolve.status, 400);
  assert.match(((await badResolve.json()) as { error: string }).error, /"not-a-range" is not a valid semver range/);
  assert.equal((await get('/api/v1/plugins/stash/versions?range=%3E%3D%3D')).status, 400);
  // a repeated parameter is a 400 that names it, on the search fast path and through express alike
  for (const [path, name] of [
    ['/api/v1/plugins?q=http&q=redis', 'q'],
    ['/api/v1/plugins?page=1&page=2', 'page'],
    ['/api/v1/plugins/stash/resolve?range=^1&range=^2', 'range'],
    ['/api/v1/plugins/stash/versions?range=^1&range=^2', 'range'],
  ]) {
    const r = await get(path!);
    assert.equal(r.status, 400, path);
    assert.match(
      ((await r.json()) as { error: string }).error,
      new RegExp(`query parameter "${name}" is given 2 times`),
    );
  }
  const resolved = await client.resolve('stash', '^1', { os: 'linux', arch: 'amd64' });
  assert.equal(resolved.artifact?.sha256, sha(archive));
  assert.match(resolved.artifact!.url, /\/api\/v1\/plugins\/stash\/versions\/1\.3\.0\/download\?os=linux&arch=amd64$/);
});

test('version documents are immutable, ETag-validated and gzip-compressed', async () => {
  const r = await get('/api/v1/plugins/stash/versions/1.3.0');
  assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const etag = r.headers.get('etag')!;
  assert.ok(etag);
  assert.equal((await get('/api/v1/plugins/stash/versions/1.3.0', { 'if-none-match': etag })).status, 304);
  const index = await get('/v1/index.json', { 'accept-encoding': 'gzip' });
  assert.equal(index.headers.get('content-encoding'), 'gzip');
  const yanked = await get('/api/v1/plugins/stash/versions/1.2.0');
  assert.equal(yanked.headers.get('x-yanked'), 'corrupts data');
  assert.equal((await get('/api/v1/plugins/stash/versions/9.9.9')).status, 404);
  // raw node:http client: fetch would transparently decompress
  const raw = await new Promise<Buffer>((resolve) => {
    import('node:http').then(({ get: httpGet }) =>
      httpGet(`${server.url}/v1/index.json`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
      }),
    );
  });
  assert.equal((JSON.parse(gunzipSync(raw).toString()) as unknown[]).length, 5);
});

test('downloads: stored archives are served with their sha256; the client verifies and fails closed', async () => {
  const client = new RegistryClient({ baseUrl: server.url });
  const stored = await client.download('stash', '1.3.0', { os: 'linux', arch: 'amd64' });
  assert.deepEqual(stored.bytes, archive);
  const r = await get('/api/v1/plugins/stash/versions/1.3.0/download?os=linux&arch=amd64');
  assert.equal(r.headers.get('x-checksum-sha256'), sha(archive));
  assert.equal(r.headers.get('content-type'), 'application/gzip');

  const redirect = await get('/api/v1/plugins/remote/versions/1.0.0/download?os=linux&arch=amd64');
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get('location'), `${artifactsUrl}/good.tar.gz`);
  assert.equal(redirect.headers.get('x-checksum-sha256'), sha(artifactBytes));
  const good = await client.download('remote', '1.0.0', { os: 'linux', arch: 'amd64' });
  assert.equal(good.sha256, sha(artifactBytes));
  await assert.rejects(
    client.download('remote', '1.0.0', { os: 'linux', arch: 'arm64' }),
    (e: unknown) => e instanceof IntegrityError && /sha256 mismatch/.test(e.message),
  );
  await assert.rejects(
    client.download('remote', '1.0.0', { os: 'darwin', arch: 'arm64' }),
    (e: unknown) => e instanceof IntegrityError && /publishes no sha256/.test(e.message),
  );
  assert.equal(
    (await client.download('remote', '1.0.0', { os: 'darwin', arch: 'arm64' }, { allowUnverified: true })).bytes.length,
    artifactBytes.length,
  );
  assert.equal((await get('/api/v1/plugins/remote/versions/1.0.0/download')).status, 400);
  assert.equal((await get('/api/v1/plugins/remote/versions/1.0.0/download?os=windows&arch=amd64')).status, 404);
});

test('upstream static layout: index.json without private plugins; manifests, versions.json, latest.json', async () => {
  const index = await getJson<Array<{ name: string; private: boolean }>>('/v1/index.json');
  assert.deepEqual(
    index.map((p) => p.name),
    ['http', 'http-cache', 'remote', 'router-extras', 'stash'],
  );
  assert.deepEqual(await getJson('/index.json'), index);
  assert.equal((await getJson<{ name: string }>('/v1/plugins/secret-thing/manifest.json')).name, 'secret-thing');
  const versions = await getJson<{ name: string; versions: Array<{ version: string; prerelease: boolean }> }>(
    '/v1/plugins/stash/versions.json',
  );
  assert.deepEqual(
    versions.versions.map((v) => v.version),
    ['2.0.0-rc.1', '1.3.0', '1.0.0'],
  );
  assert.equal((await getJson<{ version: string }>('/v1/plugins/stash/latest.json')).version, '1.3.0');
});

test('push hook: signature verified (GitHub and Gitea styles); other branches and events ignored', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  assert.equal((await fetch(`${server.url}/api/v1/sync`, { method: 'POST', body })).status, 401);
  assert.equal(
    (
      await fetch(`${server.url}/api/v1/sync`, {
        method: 'POST',
        body,
        headers: { 'x-hub-signature-256': signBody('wrong', body) },
      })
    ).status,
    401,
  );
  const gitea = await fetch(`${server.url}/api/v1/sync`, {
    method: 'POST',
    body,
    headers: { 'x-gitea-event': 'push', 'x-gitea-signature': signBody(secret, body).slice(7) },
  });
  assert.equal(gitea.status, 202);
  const other = JSON.stringify({ ref: 'refs/heads/feature' });
  const ignored = await fetch(`${server.url}/api/v1/sync`, {
    method: 'POST',
    body: other,
    headers: { 'x-hub-signature-256': signBody(secret, other) },
  });
  assert.match(((await ignored.json()) as { reason: string }).reason, /push to feature/);
  await server.sync.idle();
});

test('a bad commit is refused and reported; the good index keeps being served', async () => {
  const good = git(repo, 'rev-parse', 'HEAD');
  write('plugins/http-cache/manifest.json', '{ "name": "http-cache", ');
  write('plugins/huge/manifest.json', Buffer.alloc(50 * 1024 * 1024, 0x20));
  const bad = commit('broken');
  const result = await syncNow();
  assert.equal(result.outcome, 'refused');
  const status = await getJson<{
    revision: string;
    refusedCommits: Array<{ revision: string; problems: Array<{ file: string; rule: string; line: number }> }>;
  }>('/api/v1/sync');
  assert.equal(status.revision, good);
  assert.equal(status.refusedCommits[0]!.revision, bad);
  assert.deepEqual(
    status.refusedCommits[0]!.problems.map((p) => `${p.file} ${p.rule}`),
    ['plugins/http-cache/manifest.json json-syntax', 'plugins/huge/manifest.json manifest-size'],
  );
  assert.deepEqual(
    (await getJson<Array<{ name: string }>>('/api/v1/plugins?q=cache')).map((p) => p.name),
    ['http-cache'],
  );
  git(repo, 'revert', '--no-edit', 'HEAD');
  assert.equal((await syncNow()).outcome, 'updated');
});

test('a commit that re-points a published archive is refused for that version only', async () => {
  write(
    'plugins/remote/manifest.json',
    json(
      manifest('remote', {
        description: 'now with a better description',
        downloads: [{ os: 'linux', arch: 'amd64', url: `${artifactsUrl}/other.tar.gz`, sha256: 'e'.repeat(64) }],
      }),
    ),
  );
  write(
    'plugins/router-extras/manifest.json',
    json(manifest('router-extras', { version: '1.1.0', description: 'More routes' })),
  );
  commit('re-point remote 1.0.0, bump router-extras');
  const result = await syncNow();
  assert.equal(result.outcome, 'updated');
  assert.deepEqual(result.refusedVersions, ['remote@1.0.0']);
  const doc = await getJson<{
    summary: { description: string };
    versions: Array<{ version: string; refusedChange?: boolean; downloads: Array<{ url: string }> }>;
  }>('/api/v1/plugins/remote');
  assert.equal(doc.summary.description, 'now with a better description'); // descriptive fields may change
  assert.equal(doc.versions[0]!.refusedChange, true);
  // the published artifact is still served
  assert.equal(doc.versions[0]!.downloads[0]!.url, `${artifactsUrl}/good.tar.gz`);
  const status = await getJson<{ refusedVersions: Array<{ id: string; version: string; message: string }> }>(
    '/api/v1/sync',
  );
  assert.match(status.refusedVersions[0]!.message, /version 1\.0\.0 is already published/);
  assert.equal((await new RegistryClient({ baseUrl: server.url }).resolve('router-extras', '^1')).version, '1.1.0');
});

test('a rewritten branch (force-push upstream) is reported; published versions stay immutable', async () => {
  const served = git(repo, 'rev-parse', 'HEAD');
  // amend the served commit: the new head no longer contains it
  write(
    'plugins/stash/manifest.json',
    json(
      manifest('stash', {
        version: '1.3.0',
        description: 'rewritten',
        downloads: [{ os: 'linux', arch: 'amd64', url: 'dist/stash-linux-amd64.tar.gz', sha256: sha(archive) }],
      }),
    ),
  );
  git(repo, 'commit', '-q', '-a', '--amend', '-m', 'rewritten history');
  const rewritten = git(repo, 'rev-parse', 'HEAD');
  const result = await syncNow();
  assert.equal(result.outcome, 'updated');
  assert.equal(result.historyRewritten, true);
  assert.equal(result.previous, served);
  const status = await getJson<{ revision: string; warnings: string[]; refusedVersions: Array<{ id: string }> }>(
    '/api/v1/sync',
  );
  assert.equal(status.revision, rewritten);
  assert.match(status.warnings[0]!, /history rewritten: .* is not an ancestor/);
  // remote@1.0.0 was re-pointed on the old branch and refused; it is still refused on the new one
  assert.deepEqual(
    status.refusedVersions.map((r) => r.id),
    ['remote'],
  );
  assert.equal(
    (await getJson<{ summary: { description: string } }>('/api/v1/plugins/stash')).summary.description,
    'rewritten',
  );
});

test('restart serves the persisted index at once, with versions that left the tree', async () => {
  await server.close();
  server = await startRegistryServer({
    repo,
    dataDir: join(dirs.path, 'data'),
    schedule: null,
    webhookSecret: secret,
    logger,
  });
  // restored before listening, so the very first request is answered from the store
  const versions = await getJson<string[]>('/api/v1/plugins/router-extras/versions');
  assert.deepEqual(versions, ['1.1.0', '1.0.0']);
  const doc = await getJson<{ versions: Array<{ version: string; inTree: boolean }> }>('/api/v1/plugins/router-extras');
  assert.deepEqual(
    doc.versions.map((v) => [v.version, v.inTree]),
    [
      ['1.1.0', true],
      ['1.0.0', false],
    ],
  );
  assert.equal((await server.initialSync).outcome, 'unchanged');
});

test('rate limit answers 429 with Retry-After; health and metrics', async () => {
  const limited = await startRegistryServer({
    repo,
    schedule: null,
    rateLimit: 1,
    logger,
    dataDir: join(dirs.path, 'data-limited'),
  });
  try {
    await limited.initialSync;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${limited.url}/api/v1/plugins`);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    assert.equal(retryAfter, '1');
    assert.equal((await fetch(`${limited.url}/healthz`)).status, 200);
  } finally {
    await limited.close();
  }
  const metrics = await (await get('/metrics')).text();
  assert.match(metrics, /registry_plugins 6/);
  assert.match(metrics, /registry_http_requests_total\{route="\/api\/v1\/plugins\/:name",method="GET",status="200"\}/);
  rmSync(join(dirs.path, 'data-limited'), { recursive: true, force: true });
});
