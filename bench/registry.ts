// npm run bench -- registry [--plugins 10000] [--versions 10] [--duration 5] [--connections 16]
//
// 1. Full index of the upstream corpus and of a generated registry (plugins x versions manifest
//    files), against the peer "just read and JSON.parse the same files" measured in the same run.
// 2. Incremental re-index after a one-manifest git commit in the generated registry (tree diff,
//    reading the changed file, index update, immutability ledger).
// 3. Search requests/s and latency at that size through the registry API (restored from its SQLite
//    store in a child process), against bare node:http serving a static JSON file of the same size
//    as a search response, with our own keep-alive load generator.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { LoadResult } from './_load.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DirectoryTree,
  GitCommitTree,
  IndexStore,
  buildIndex,
  emptyPublishedState,
  publishIndex,
  updateIndex,
} from '../registry-index/index.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PLUGINS = arg('plugins', 10_000);
const VERSIONS = arg('versions', 10);
const DURATION_S = arg('duration', 5);
const CONNECTIONS = arg('connections', 16);
const root = new URL('..', import.meta.url).pathname;
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, '../shared/corpus');

const words = (
  'http cache queue stream auth token oauth saml ldap kafka nats redis postgres mysql sqlite mongo s3 gcs blob ' +
  'metrics tracing logging alert slack teams email sms webhook cron schedule workflow state machine graph ' +
  'search index ' +
  'vector embed llm agent tool proxy gateway router balance retry circuit limit quota billing invoice payment ledger ' +
  'audit policy secret vault kms crypto sign verify image video audio pdf csv json yaml xml grpc rest graphql socket'
).split(' ');
const pick = (i: number, k: number) => words[(i * 7919 + k * 104729) % words.length]!;

function header(title: string): void {
  process.stdout.write(`\n== ${title}\n`);
}
function row(label: string, value: string): void {
  process.stdout.write(`  ${label.padEnd(52)}${value}\n`);
}
const ms = (t: number) => `${t.toFixed(0)} ms`;

// ---------------------------------------------------------------------------------------------
// Generated registry
// ---------------------------------------------------------------------------------------------

function manifestFor(i: number, version: string): string {
  const id = `p${String(i).padStart(5, '0')}-${pick(i, 1)}-${pick(i, 2)}`;
  const sha = (n: number) =>
    (String(i) + version + n)
      .padEnd(64, 'a')
      .replace(/[^a-f0-9]/g, 'b')
      .slice(0, 64);
  return JSON.stringify(
    {
      name: id,
      version,
      author: `Author ${i % 97}`,
      description: `${pick(i, 3)} ${pick(i, 4)} plugin for ${pick(i, 5)} and ${pick(i, 6)} workflows`,
      type: 'external',
      tier: i % 10 === 0 ? 'core' : 'community',
      license: 'MIT',
      category: 'integrations',
      repository: `https://github.com/example/${id}`,
      keywords: [pick(i, 1), pick(i, 7), pick(i, 8)],
      capabilities: { moduleTypes: [`${pick(i, 1)}.${pick(i, 2)}`], stepTypes: [`step.${pick(i, 9)}`] },
      downloads: ['linux', 'darwin'].map((os, n) => ({
        os,
        arch: 'amd64',
        url: `https://github.com/example/${id}/releases/download/v${version}/${id}-${os}-amd64.tar.gz`,
        sha256: sha(n),
      })),
    },
    null,
    2,
  );
}

function generate(dir: string): { files: number; ids: string[] } {
  let files = 0;
  const ids: string[] = [];
  for (let i = 0; i < PLUGINS; i++) {
    const id = `p${String(i).padStart(5, '0')}-${pick(i, 1)}-${pick(i, 2)}`;
    ids.push(id);
    const pdir = join(dir, 'plugins', id);
    mkdirSync(join(pdir, 'versions'), { recursive: true });
    writeFileSync(join(pdir, 'manifest.json'), manifestFor(i, `1.${VERSIONS - 1}.0`));
    files++;
    for (let v = 0; v < VERSIONS - 1; v++, files++)
      writeFileSync(join(pdir, 'versions', `1.${v}.0.json`), manifestFor(i, `1.${v}.0`));
  }
  return { files, ids };
}

/** The peer: read every manifest file and JSON.parse it, nothing else. */
function readAndParse(dir: string): number {
  let n = 0;
  for (const e of readdirSync(join(dir, 'plugins'), { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8'));
    n++;
  }
  return n;
}

async function timeBest<T>(runs: number, fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  let best = Infinity;
  let value!: T;
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    value = await fn();
    best = Math.min(best, performance.now() - t);
  }
  return { ms: best, value };
}

// ---------------------------------------------------------------------------------------------
// Load: our keep-alive generator in its own process (bench/_load.ts)
// ---------------------------------------------------------------------------------------------

async function load(baseUrl: string, paths: string[], seconds: number): Promise<LoadResult> {
  const file = join(work, `paths-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(file, paths.join('\n'));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench/_load.ts'), baseUrl, file, String(seconds), String(CONNECTIONS)],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`)),
    );
  });
}

function startChild(args: string[]): Promise<{ child: ChildProcess; url: string; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/_registry-target.ts'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, log: out });
    });
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => reject(new Error(`bench target exited (${code}): ${err || out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'registry-bench-'));
try {
  header(
    `full index: upstream corpus (${existsSync(join(corpus, 'workflow-registry')) ? 'found' : 'missing, skipped'})`,
  );
  if (existsSync(join(corpus, 'workflow-registry'))) {
    const dir = join(corpus, 'workflow-registry');
    const peer = await timeBest(5, () => readAndParse(dir));
    const full = await timeBest(5, () => buildIndex(new DirectoryTree(dir)));
    row('read + JSON.parse (peer)', `${peer.ms.toFixed(1)} ms for ${peer.value} files`);
    row(
      'full index (validate, assemble, cross-file rules)',
      `${full.ms.toFixed(1)} ms, ${full.value.plugins.size} plugins`,
    );
    row('ratio index / peer', `${(full.ms / peer.ms).toFixed(2)}x`);
  }

  header(`full index: generated ${PLUGINS.toLocaleString()} plugins x ${VERSIONS} versions`);
  const gen = join(work, 'registry');
  let t = performance.now();
  const { files, ids } = generate(gen);
  row('generated', `${files.toLocaleString()} manifest files in ${ms(performance.now() - t)}`);
  const peer = await timeBest(2, () => readAndParse(gen));
  // Keep only the figures: holding 100,000 parsed manifests longer would slow what follows (GC).
  const full = await timeBest(2, async () => {
    const index = await buildIndex(new DirectoryTree(gen));
    const errors = index.problems.filter((p) => p.severity === 'error');
    if (errors.length) throw new Error(`generated registry has errors: ${errors[0]!.message}`);
    return {
      plugins: index.plugins.size,
      versions: [...index.plugins.values()].reduce((n, p) => n + p.versions.length, 0),
    };
  });
  row('read + JSON.parse (peer)', ms(peer.ms));
  row(
    'full index',
    `${ms(full.ms)} (${full.value.plugins.toLocaleString()} plugins, ${full.value.versions.toLocaleString()} versions)`,
  );
  row('ratio index / peer (target <= 3x)', `${(full.ms / peer.ms).toFixed(2)}x`);
  row('target full index < 5 s', full.ms < 5000 ? 'met' : 'MISSED');

  header('incremental re-index after a one-manifest commit');
  t = performance.now();
  const gitEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'b@localhost',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'b@localhost',
  };
  const gitc = (...a: string[]) =>
    execFileSync('git', ['-C', gen, ...a], { env: gitEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
  gitc('init', '-q', '-b', 'main');
  gitc('config', 'gc.auto', '0'); // no background gc racing the cleanup
  gitc('add', 'plugins');
  gitc('commit', '-q', '-m', 'generated');
  const first = gitc('rev-parse', 'HEAD');
  row('git commit of the generated tree (setup)', ms(performance.now() - t));
  // The index of commit 1 equals the working tree's (same blob ids), so it is built from disk.
  const base = await buildIndex(new DirectoryTree(gen, first));
  const cache = {};
  const baseState = await publishIndex(
    emptyPublishedState,
    base,
    new GitCommitTree({ gitdir: join(gen, '.git'), cache }, first),
  );
  const samples: number[] = [];
  const phases = { diff: [] as number[], update: [] as number[], ledger: [] as number[] };
  let prev = base;
  let state = baseState;
  for (let round = 0; round < 5; round++) {
    const i = (round * 1237) % PLUGINS;
    writeFileSync(join(gen, 'plugins', ids[i]!, 'manifest.json'), manifestFor(i, `1.${VERSIONS + round}.0`));
    gitc('commit', '-q', '-am', `bump ${ids[i]}`);
    const head = gitc('rev-parse', 'HEAD');
    const t0 = performance.now();
    const tree = new GitCommitTree({ gitdir: join(gen, '.git'), cache }, head);
    const changes = await tree.changesSince(prev.revision);
    const t1 = performance.now();
    const next = await updateIndex(prev, tree, changes);
    const t2 = performance.now();
    state = await publishIndex(state, next, tree, new Set(changes.map((c) => c.path.split('/')[1]!)));
    const t3 = performance.now();
    samples.push(t3 - t0);
    phases.diff.push(t1 - t0);
    phases.update.push(t2 - t1);
    phases.ledger.push(t3 - t2);
    if (changes.length !== 1 || next.plugins.get(ids[i]!)!.current.version !== `1.${VERSIONS + round}.0`)
      throw new Error('incremental update went wrong');
    prev = next;
  }
  const each = (list: number[]) => list.map((x) => x.toFixed(1)).join(' / ');
  row('tree diff + read 1 file + index update + ledger', `${each(samples)} ms`);
  row('  of which tree diff (changesSince)', `${each(phases.diff)} ms`);
  row('  of which read + index update (updateIndex)', `${each(phases.update)} ms`);
  row('  of which ledger (publishIndex)', `${each(phases.ledger)} ms`);
  samples.sort((a, b) => a - b);
  row('median, max (5 commits)', `${samples[2]!.toFixed(1)} ms, ${samples[4]!.toFixed(1)} ms`);
  row('target < 100 ms', samples[4]! < 100 ? 'met' : 'MISSED');

  header(`search at ${PLUGINS.toLocaleString()} plugins: registry API vs static JSON over node:http`);
  const data = join(work, 'data');
  mkdirSync(data);
  t = performance.now();
  const store = new IndexStore(join(data, 'index.db'));
  store.save({ index: prev, published: state, syncedAt: new Date().toISOString(), archiveFacts: new Map() });
  store.close();
  row('persist index to SQLite (setup)', ms(performance.now() - t));
  const queries = Array.from(
    { length: 200 },
    (_, k) =>
      `/api/v1/plugins?q=` +
      `${encodeURIComponent(k % 3 === 0 ? `${pick(k, 1)} ${pick(k, 5)}` : pick(k, k % 5).slice(0, 3 + (k % 3)))}` +
      `${k % 4 === 0 ? '&tier=community' : ''}`,
  );
  // Two-word queries with varying prefixes from a seeded generator, 100,000 different URLs: every
  // request of a run is a new URL (a miss in the response cache; pages 1-5 of a query share a search).
  // (32-bit arithmetic: with floating-point products this generator cycled after 11,031 URLs.)
  let seed = 42;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n; // the low bits of this generator repeat quickly
  };
  const distinct = new Set<string>();
  const prefix = () => words[rand(words.length)]!.slice(0, 2 + rand(4));
  while (distinct.size < 100_000)
    distinct.add(`/api/v1/plugins?q=${encodeURIComponent(`${prefix()} ${prefix()}`)}&page=${1 + rand(5)}`);
  const unique = [...distinct];

  const registry = await startChild(['registry', gen, data]);
  row('registry restart: index restored from SQLite', /restored in (\d+ ms)/.exec(registry.log)?.[1] ?? '?');
  const sample = await (await fetch(`${registry.url}${queries[1]}`)).arrayBuffer();
  const staticFile = join(work, 'search-response.json');
  writeFileSync(staticFile, Buffer.from(sample));
  const peerServer = await startChild(['static', staticFile]);
  await load(registry.url, queries, 1); // warm-up: JIT, and the response cache for the mix
  await load(peerServer.url, ['/search.json'], 1);
  // Alternate peer and subject (the machine is shared with other work); the better run of each counts.
  let api: LoadResult | undefined;
  let stat: LoadResult | undefined;
  for (let round = 0; round < 2; round++) {
    const s = await load(peerServer.url, ['/search.json'], DURATION_S);
    const a = await load(registry.url, queries, DURATION_S);
    if (!stat || s.rps > stat.rps) stat = s;
    if (!api || a.rps > api.rps) api = a;
  }
  const apiUnique = await load(registry.url, unique, DURATION_S);
  await stop(registry.child);
  await stop(peerServer.child);
  if (!api || !stat) throw new Error('no load results');

  const fmt = (r: LoadResult) =>
    `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ` +
    `ms${r.errors ? `  ERRORS ${r.errors}` : ''}`;
  row(`static JSON, node:http (peer; ${sample.byteLength} B body)`, fmt(stat));
  row('search, 200-query mix (response cache warm)', fmt(api));
  row(
    `search, ${new Set(unique).size.toLocaleString()} distinct URLs ` +
      `(${new Set(unique.map((u) => u.split('&')[0])).size.toLocaleString()} queries)`,
    fmt(apiUnique),
  );
  row(
    'ratio search / static (target >= 50%)',
    `${((api.rps / stat.rps) * 100).toFixed(0)}% (mix), ${((apiUnique.rps / stat.rps) * 100).toFixed(0)}% (distinct)`,
  );
  row('target p99 < 10 ms', api.p99 < 10 && apiUnique.p99 < 10 ? 'met' : 'MISSED');
  process.stdout.write(`\n(${CONNECTIONS} keep-alive connections, ${DURATION_S} s per run, loopback, one machine)\n`);
} finally {
  rmSync(work, { recursive: true, force: true, maxRetries: 5 });
}
