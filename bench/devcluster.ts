// devcluster: creates/s, watch event latency with many watchers, and listing 10,000 ConfigMaps with
// and without a label selector — each beside a peer measured in the same run (a bare HTTPS round
// trip, a bare HTTPS fan-out server, raw better-sqlite3 inserts and reads). The cluster runs in a
// child process, as it would for a real client, so client work does not steal its event loop.
//
// Watch latency is measured the same way for devcluster and its peer:
// - The watchers are held by CLIENTS child processes (bench/_devcluster-watch-client.ts), not by
//   this one: decrypting 1,000 TLS streams is as much work as encrypting them, and an arrival
//   stamped by an event loop that is busy with other streams (or with posting) is stamped late.
//   Each client stamps arrivals with a clock shared by all processes (timeOrigin + now).
// - Events are paced: one POST every INTERVAL ms, sent whether or not the previous one has arrived
//   (open loop), so a stall shows up in every event behind it. The old bench posted as fast as the
//   server answered, which measured a queue growing behind an overloaded client, not latency.
//   `--interval 0` posts each event once the previous one reached every watcher.
// - The first WARMUP events are not counted: they pay for each connection's first TLS write and
//   for cold JIT, once per process, which the p99 of 100 events would otherwise mostly be.
//
//   npm run bench -- devcluster [--creates 2000] [--watchers 1000] [--events 100] [--list 10000]
//                               [--clients 2] [--interval 50] [--warmup 10] [--profile DIR]
//
// --profile DIR writes a CPU profile of the devcluster process (node --cpu-prof) into DIR.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createCertificateAuthority, issueCertificate } from '../devcluster/index.ts';
import { clock, type WatchClientJob, type WatchClientMessage } from './_devcluster-watch-client.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CREATES = option('creates', 2000);
const WATCHERS = option('watchers', 1000);
const EVENTS = option('events', 100);
const LIST_SIZE = option('list', 10_000);
const CLIENTS = option('clients', 2);
const INTERVAL = option('interval', 50);
const WARMUP = option('warmup', 10);
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : undefined;
const CONCURRENCY = 16;

interface Target {
  url: string;
  token: string;
  ca: string;
}

const root = mkdtempSync(join(tmpdir(), 'bench-devcluster-'));
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function call(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  a: Agent = agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      new URL(path, target.url),
      {
        method,
        agent: a,
        ca: target.ca,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Starts devcluster in a child process and waits for its URL and token. */
async function startCluster(): Promise<{ child: ChildProcess; target: Target }> {
  const index = fileURLToPath(new URL('../devcluster/index.ts', import.meta.url));
  const code = `
    import { startDevCluster } from ${JSON.stringify(index)};
    const c = await startDevCluster({
      dataDir: ${JSON.stringify(join(root, 'cluster'))},
      nodeAgent: false,
      watchHistory: 100000,
    });
    process.stdout.write(JSON.stringify({ url: c.url, token: c.token, ca: c.caCert }) + '\\n');
    process.on('SIGTERM', () => c.stop().then(() => process.exit(0)));
  `;
  const profile = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
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
  const obj = (i: number) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'default', labels: { tier: i % 2 ? 'a' : 'b' } },
      data: { key: 'value' },
    });
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
    const r = await call(target, 'POST', '/api/v1/namespaces/bench-creates/configmaps', {
      metadata: { name: `cm-${i}`, labels: { bench: 'creates' } },
      data: { key: 'value' },
    });
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

/** Starts CLIENTS watch clients sharing WATCHERS streams on `path`, resolved once every stream is open. */
async function startWatchClients(target: Target, path: string) {
  const script = fileURLToPath(new URL('_devcluster-watch-client.ts', import.meta.url));
  const clients = Array.from({ length: CLIENTS }, (_, i) => {
    const watchers = Math.floor(WATCHERS / CLIENTS) + (i < WATCHERS % CLIENTS ? 1 : 0);
    const job: WatchClientJob = { ...target, path, watchers };
    return spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(job)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    });
  });
  const delivered = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  for (const child of clients) {
    child.on('message', (m: WatchClientMessage) => {
      if (!('delivered' in m)) return;
      const n = (delivered.get(m.delivered) ?? 0) + 1;
      delivered.set(m.delivered, n);
      if (n === CLIENTS) waiters.get(m.delivered)?.();
    });
  }
  await Promise.all(
    clients.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.on('message', (m: WatchClientMessage) => 'ready' in m && resolve());
          c.once('exit', (code) => reject(new Error(`watch client exited with ${code}`)));
        }),
    ),
  );
  return {
    /** Resolves when event `index` reached every stream. */
    deliveredEverywhere: (index: number) =>
      new Promise<void>((resolve) => {
        if (delivered.get(index) === CLIENTS) resolve();
        else waiters.set(index, resolve);
      }),
    /** Stops the clients and returns every arrival as [event index, time] pairs. */
    stop: () =>
      Promise.all(
        clients.map(
          (c) =>
            new Promise<number[]>((resolve) => {
              c.on('message', (m: WatchClientMessage) => 'arrivals' in m && resolve(m.arrivals));
              c.send('stop');
            }),
        ),
      ),
    /** Ends the clients at once (after a failure; harmless once they have stopped). */
    kill: () => clients.forEach((c) => c.kill()),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lost event must fail the run, not hang it. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Opens WATCHERS streams on `watchPath` (spread over CLIENTS processes), then posts WARMUP + EVENTS
 * objects, one every INTERVAL ms whether or not the previous one has arrived (an open loop: a stall
 * delays every event behind it and is measured), or with INTERVAL 0 each after the previous one
 * reached every stream. A delivery's latency is its arrival time minus the time just before its
 * POST was sent; the WARMUP events (first writes on each connection, cold JIT) are not counted.
 */
async function watchLatency(target: Target, watchPath: string, postPath: string): Promise<Latency> {
  const clients = await startWatchClients(target, watchPath);
  const latencies: number[] = [];
  try {
    const total = WARMUP + EVENTS;
    const sentAt: number[] = [];
    const posts: Array<Promise<void>> = [];
    const began = clock();
    for (let i = 0; i < total; i++) {
      if (INTERVAL > 0) await sleep(began + i * INTERVAL - clock());
      sentAt[i] = clock();
      const post = call(target, 'POST', postPath, { metadata: { name: `ev-${i}` }, data: { i: String(i) } }).then(
        (r) => {
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
        },
      );
      if (INTERVAL > 0) {
        post.catch(() => {}); // handled: a failed POST fails the run at Promise.all below, not mid-loop
        posts.push(post);
      } else {
        await within(
          60_000,
          `event ev-${i}`,
          post.then(() => clients.deliveredEverywhere(i)),
        );
      }
    }
    await Promise.all(posts);
    await within(60_000, 'delivering every event', Promise.all(sentAt.map((_, i) => clients.deliveredEverywhere(i))));
    for (const arrivals of await clients.stop()) {
      for (let k = 0; k < arrivals.length; k += 2) {
        if (arrivals[k]! >= WARMUP) latencies.push(arrivals[k + 1]! - sentAt[arrivals[k]!]!);
      }
    }
  } finally {
    clients.kill();
  }
  const sorted = latencies.sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    samples: sorted.length,
  };
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

async function listTimes(
  target: Target,
): Promise<{ allMs: number; selectedMs: number; items: number; selected: number }> {
  await call(target, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-list' } });
  await inParallel(LIST_SIZE, CONCURRENCY, async (i) => {
    await call(target, 'POST', '/api/v1/namespaces/bench-list/configmaps', {
      metadata: { name: `cm-${i}`, labels: { tier: i % 10 === 0 ? 'gold' : 'plain' } },
      data: { key: 'value' },
    });
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

const progress = (phase: string) => process.stderr.write(`devcluster bench: ${phase}\n`);

async function main(): Promise<void> {
  const { child, target } = await startCluster();
  try {
    progress('creates');
    const peerHttps = await bareHttpsRoundTrips(CREATES);
    const peerSqlite = rawSqlite(CREATES, LIST_SIZE);
    const creates = await createsPerSecond(target);
    progress('watch latency');
    await call(target, 'POST', '/api/v1/namespaces', { metadata: { name: 'bench-watch' } });
    const watch = await watchLatency(
      target,
      '/api/v1/namespaces/bench-watch/configmaps?watch=true',
      '/api/v1/namespaces/bench-watch/configmaps',
    );
    progress('watch latency: peer');
    const peerWatch = await bareFanOut();
    progress('lists');
    const list = await listTimes(target);
    const pacing = INTERVAL > 0 ? `one every ${INTERVAL} ms` : 'each after the previous one arrived';
    console.log(
      `devcluster benchmark (${CREATES} creates at concurrency ${CONCURRENCY}; ${WATCHERS} watchers in ` +
        `${CLIENTS} client processes x ${EVENTS} events, ${pacing}, after ${WARMUP} warm-up events; ` +
        `${LIST_SIZE} ConfigMaps listed)`,
    );
    console.log('');
    console.log(
      `creates/s                      ${fmt(creates, 0).padStart(10)}   target >= 1,000   ` +
        `${creates >= 1000 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `  peer: bare HTTPS round trips ${fmt(peerHttps, 0).padStart(10)}/s   devcluster = ` +
        `${fmt(creates / peerHttps, 2)}x`,
    );
    console.log(
      `  peer: raw SQLite inserts     ${fmt(peerSqlite.insertsPerSecond, 0).padStart(10)}/s   devcluster = ` +
        `${fmt(creates / peerSqlite.insertsPerSecond, 3)}x`,
    );
    console.log(
      `watch latency (${fmt(watch.samples, 0)} deliveries)  p50 ${fmt(watch.p50, 2)} ms   p99 ` +
        `${fmt(watch.p99, 2)} ms   max ${fmt(watch.max, 2)} ms   target p99 < 50 ms   ` +
        `${watch.p99 < 50 ? 'met' : 'MISSED'}`,
    );
    console.log(
      `  peer: bare HTTPS fan-out     p50 ${fmt(peerWatch.p50, 2)} ms   p99 ${fmt(peerWatch.p99, 2)} ms   ` +
        `devcluster p99 = ${fmt(watch.p99 / peerWatch.p99, 2)}x`,
    );
    console.log(`list ${fmt(list.items, 0)} ConfigMaps           ${fmt(list.allMs, 1).padStart(8)} ms (median of 5)`);
    console.log(`list with labelSelector (${fmt(list.selected, 0)})  ${fmt(list.selectedMs, 1).padStart(8)} ms`);
    console.log(
      `  peer: raw SQLite read+parse  ${fmt(peerSqlite.listMs, 1).padStart(8)} ms   devcluster full list = ` +
        `${fmt(list.allMs / peerSqlite.listMs, 2)}x`,
    );
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
