// devcluster: creates/s, watch event latency with many watchers, and listing 10,000 ConfigMaps with
// and without a label selector — each beside a peer measured in the same run (a bare HTTPS round
// trip, raw better-sqlite3 inserts and reads). The cluster runs in a child process, as it would for
// a real client, so client work does not steal its event loop.
//
//   npm run bench -- devcluster [--creates 2000] [--watchers 1000] [--events 100] [--list 10000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createCertificateAuthority, issueCertificate } from '../devcluster/index.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CREATES = option('creates', 2000);
const WATCHERS = option('watchers', 1000);
const EVENTS = option('events', 100);
const LIST_SIZE = option('list', 10_000);
const CONCURRENCY = 16;

interface Target {
  url: string;
  token: string;
  ca: string;
}

const root = mkdtempSync(join(tmpdir(), 'bench-devcluster-'));
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(target: Target, method: string, path: string, body?: unknown, a: Agent = agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(new URL(path, target.url), {
      method, agent: a, ca: target.ca,
      headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await task(next++);
  }));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Starts devcluster in a child process and waits for its URL and token. */
async function startCluster(): Promise<{ child: ChildProcess; target: Target }> {
  const index = fileURLToPath(new URL('../devcluster/index.ts', import.meta.url));
  const code = `
    import { startDevCluster } from ${JSON.stringify(index)};
    const c = await startDevCluster({ dataDir: ${JSON.stringify(join(root, 'cluster'))}, nodeAgent: false, watchHistory: 100000 });
    process.stdout.write(JSON.stringify({ url: c.url, token: c.token, ca: c.caCert }) + '\\n');
    process.on('SIGTERM', () => c.stop().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) });
  const target = await new Promise<Target>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
    });
    child.once('exit', (code) => reject(new Error(`devcluster exited with ${code}`)));
  });
  return { child, target };
}

/** Peer: a bare HTTPS server answering every request with a tiny JSON body. */
async function bareHttpsRoundTrips(count: number): Promise<number> {
  const ca = createCertificateAuthority('bench');
  const leaf = issueCertificate(ca, { commonName: 'bench', hosts: ['127.0.0.1'] });
  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end('{"kind":"ConfigMap"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const target = { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'x', ca: ca.certPem };
  const peerAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const started = performance.now();
  await inParallel(count, CONCURRENCY, async (i) => {
    await call(target, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `cm-${i}` } }, peerAgent);
  });
  const perSecond = count / ((performance.now() - started) / 1000);
  peerAgent.destroy();
  await new Promise((r) => server.close(r));
  return perSecond;
}

/** Peer: raw better-sqlite3, one transaction per insert (as devcluster commits every write). */
function rawSqlite(count: number, listSize: number): { insertsPerSecond: number; listMs: number } {
  const db = new Database(join(root, 'peer.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE objects (k TEXT PRIMARY KEY, rv INTEGER, data TEXT) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO objects (k, rv, data) VALUES (?, ?, ?)');
  const obj = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default', labels: { tier: i % 2 ? 'a' : 'b' } }, data: { key: 'value' } });
  const started = performance.now();
  for (let i = 0; i < count; i++) db.transaction(() => insert.run(`cm-${i}`, i, obj(i)))();
  const insertsPerSecond = count / ((performance.now() - started) / 1000);
  const fill = db.transaction(() => {
    for (let i = count; i < listSize; i++) insert.run(`cm-${i}`, i, obj(i));
  });
  fill();
  const select = db.prepare('SELECT data FROM objects ORDER BY k');
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    const items = (select.all() as Array<{ data: string }>).map((row) => JSON.parse(row.data));
    JSON.stringify({ items });
    times.push(performance.now() - t);
  }
  db.close();
  return { insertsPerSecond, listMs: times.sort((a, b) => a - b)[2]! };
}

async function createsPerSecond(target: Target): Promise<number> {
  await call(target, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-creates' } });
  const started = performance.now();
  await inParallel(CREATES, CONCURRENCY, async (i) => {
    const r = await call(target, 'POST', '/api/v1/namespaces/bench-creates/configmaps', { metadata: { name: `cm-${i}`, labels: { bench: 'creates' } }, data: { key: 'value' } });
    if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
  });
  return CREATES / ((performance.now() - started) / 1000);
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

/** Opens WATCHERS streams on `watchPath`, posts EVENTS objects one by one, times each arrival at every watcher. */
async function watchLatency(target: Target, watchPath: string, postPath: string): Promise<Latency> {
  const watchAgent = new Agent({ keepAlive: true, maxSockets: WATCHERS + 10 });
  const sentAt: number[] = [];
  const latencies: number[] = [];
  const marker = Buffer.from('"name":"ev-');
  let received = 0;
  const requests: Array<ReturnType<typeof request>> = [];
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((r) => (allDelivered = r));
  await inParallel(WATCHERS, 50, async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(new URL(watchPath, target.url), {
        agent: watchAgent, ca: target.ca, headers: { Authorization: `Bearer ${target.token}` },
      }, (res) => {
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          for (let at = chunk.indexOf(marker); at >= 0; at = chunk.indexOf(marker, at + 1)) {
            const start = at + marker.length;
            const end = chunk.indexOf(0x22, start);
            const sent = sentAt[Number(chunk.toString('latin1', start, end))];
            if (sent === undefined) continue;
            latencies.push(now - sent);
            if (++received === WATCHERS * EVENTS) allDelivered();
          }
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
      requests.push(req);
    });
  });
  for (let i = 0; i < EVENTS; i++) {
    sentAt[i] = performance.now();
    await call(target, 'POST', postPath, { metadata: { name: `ev-${i}` }, data: { i: String(i) } });
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
  for (const req of requests) req.destroy();
  watchAgent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, samples: sorted.length };
}

/** Peer: a bare HTTPS server that writes each posted body, as one line, to every open stream. */
async function bareFanOut(): Promise<Latency> {
  const ca = createCertificateAuthority('bench');
  const leaf = issueCertificate(ca, { commonName: 'bench', hosts: ['127.0.0.1'] });
  const streams = new Set<import('node:http').ServerResponse>();
  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const line = `{"type":"ADDED","object":${body}}\n`;
      for (const s of streams) s.write(line);
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const target = { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'x', ca: ca.certPem };
    return await watchLatency(target, '/watch', '/post');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function listTimes(target: Target): Promise<{ allMs: number; selectedMs: number; items: number; selected: number }> {
  await call(target, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-list' } });
  await inParallel(LIST_SIZE, CONCURRENCY, async (i) => {
    await call(target, 'POST', '/api/v1/namespaces/bench-list/configmaps', { metadata: { name: `cm-${i}`, labels: { tier: i % 10 === 0 ? 'gold' : 'plain' } }, data: { key: 'value' } });
  });
  const time = async (path: string) => {
    const times: number[] = [];
    let count = 0;
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      const res = await call(target, 'GET', path);
      times.push(performance.now() - t);
      count = (JSON.parse(res.body) as { items: unknown[] }).items.length;
    }
    return { ms: times.sort((a, b) => a - b)[2]!, count };
  };
  const all = await time('/api/v1/namespaces/bench-list/configmaps');
  const selected = await time('/api/v1/namespaces/bench-list/configmaps?labelSelector=tier%3Dgold');
  return { allMs: all.ms, selectedMs: selected.ms, items: all.count, selected: selected.count };
}

const { child, target } = await startCluster();
try {
  const peerHttps = await bareHttpsRoundTrips(CREATES);
  const peerSqlite = rawSqlite(CREATES, LIST_SIZE);
  const creates = await createsPerSecond(target);
  await call(target, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-watch' } });
  const watch = await watchLatency(target, '/api/v1/namespaces/bench-watch/configmaps?watch=true', '/api/v1/namespaces/bench-watch/configmaps');
  const peerWatch = await bareFanOut();
  const list = await listTimes(target);
  console.log(`devcluster benchmark (${CREATES} creates at concurrency ${CONCURRENCY}, ${WATCHERS} watchers x ${EVENTS} events, ${LIST_SIZE} ConfigMaps listed)`);
  console.log('');
  console.log(`creates/s                      ${fmt(creates, 0).padStart(10)}   target >= 1,000   ${creates >= 1000 ? 'met' : 'MISSED'}`);
  console.log(`  peer: bare HTTPS round trips ${fmt(peerHttps, 0).padStart(10)}/s   devcluster = ${fmt(creates / peerHttps, 2)}x`);
  console.log(`  peer: raw SQLite inserts     ${fmt(peerSqlite.insertsPerSecond, 0).padStart(10)}/s   devcluster = ${fmt(creates / peerSqlite.insertsPerSecond, 3)}x`);
  console.log(`watch latency (${fmt(watch.samples, 0)} deliveries)  p50 ${fmt(watch.p50, 2)} ms   p99 ${fmt(watch.p99, 2)} ms   max ${fmt(watch.max, 2)} ms   target p99 < 50 ms   ${watch.p99 < 50 ? 'met' : 'MISSED'}`);
  console.log(`  peer: bare HTTPS fan-out     p50 ${fmt(peerWatch.p50, 2)} ms   p99 ${fmt(peerWatch.p99, 2)} ms   devcluster p99 = ${fmt(watch.p99 / peerWatch.p99, 2)}x`);
  console.log(`list ${fmt(list.items, 0)} ConfigMaps           ${fmt(list.allMs, 1).padStart(8)} ms (median of 5)`);
  console.log(`list with labelSelector (${fmt(list.selected, 0)})  ${fmt(list.selectedMs, 1).padStart(8)} ms`);
  console.log(`  peer: raw SQLite read+parse  ${fmt(peerSqlite.listMs, 1).padStart(8)} ms   devcluster full list = ${fmt(list.allMs / peerSqlite.listMs, 2)}x`);
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(root, { recursive: true, force: true });
}
