// npm run bench -- engine-http [--duration 8] [--connections 50] [--rounds 3] [--peers] [--cpu-prof DIR]
// Requests/s and latency of a 3-step pipeline route (request_parse -> set -> json_response) served by
// `wfctl run`, side by side with a raw node:http handler answering the same JSON and, with --peers,
// Node-RED 4 running the equivalent flow (http in -> template -> http response; installed into a temp
// dir on the fly). Every server is its own child process; the client is autocannon (`-c 50 -d 8`),
// bench/_load.ts in its own process, so its CPU shows whether it, not a server, was the limit. Rounds alternate
// the targets (rotating who goes first) so load from elsewhere on a shared machine hits all alike;
// the comparable figure is the ratio within the same run. Also the cold start: spawn to first 200.
// --cpu-prof DIR runs the engine under `node --cpu-prof` and prints its hottest frames.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildDist } from '../scripts/build.ts';
import { type LoadResult, runLoad } from './_load.ts';
import { topFrames } from './_cpuprofile.ts';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const DURATION_S = Number(argValue('duration') ?? 8);
const CONNECTIONS = Number(argValue('connections') ?? 50);
const ROUNDS = Number(argValue('rounds') ?? 3);
const WITH_PEERS = process.argv.includes('--peers');
const PROFILE_DIR = argValue('cpu-prof');
const WARMUP_S = 2;
const NODE_RED_VERSION = '4';
const root = new URL('..', import.meta.url).pathname;

const CONFIG = `
name: bench
modules:
  - { name: server, type: http.server, config: { address: ":8080" } }
  - { name: router, type: http.router, dependsOn: [server] }
pipelines:
  greet:
    trigger: { type: http, config: { method: GET, path: "/greet/{name}" } }
    steps:
      - { name: parse, type: step.request_parse, config: { path_params: [name] } }
      - { name: compose, type: step.set, config: { values: { greeting: 'hello {{ .steps.parse.path_params.name }}' } } }
      - name: respond
        type: step.json_response
        config:
          status: 200
          body: { greeting: '{{ .steps.compose.greeting }}', id: '{{ .steps.parse.path_params.name }}', ok: true }
`;

// the floor: the same JSON from a bare node:http handler
const RAW_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const m = /^\\/greet\\/([^/?]+)/.exec(req.url);
  if (!m) { res.statusCode = 404; return res.end(); }
  const name = decodeURIComponent(m[1]);
  const body = JSON.stringify({ greeting: 'hello ' + name, id: name, ok: true }) + '\\n';
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

// Node-RED embedded in a node:http server (its documented embedding API), editor and admin API off.
// The flow is the pipeline's equivalent: http in (path param) -> template (mustache, parsed as JSON)
// -> http response.
const NODE_RED_FLOW = [
  { id: 'bench', type: 'tab', label: 'bench' },
  { id: 'in', type: 'http in', z: 'bench', url: '/greet/:name', method: 'get', wires: [['compose']] },
  {
    id: 'compose',
    type: 'template',
    z: 'bench',
    field: 'payload',
    fieldType: 'msg',
    format: 'json',
    syntax: 'mustache',
    output: 'json',
    template: '{"greeting":"hello {{req.params.name}}","id":"{{req.params.name}}","ok":true}',
    wires: [['respond']],
  },
  { id: 'respond', type: 'http response', z: 'bench', statusCode: '200', headers: {}, wires: [] },
];
const NODE_RED_SERVER = `
const http = require('node:http');
const dir = process.argv[1];
const RED = require(dir + '/node_modules/node-red');
const server = http.createServer((req, res) => RED.httpNode(req, res));
server.keepAliveTimeout = 120000;
RED.init(server, {
  userDir: dir, flowFile: 'flows.json', httpAdminRoot: false, httpNodeRoot: '/', disableEditor: true,
  credentialSecret: false, logging: { console: { level: 'warn', metrics: false, audit: false } },
});
server.listen(0, '127.0.0.1', () => {
  RED.start().then(() => console.log('listening on http://127.0.0.1:' + server.address().port));
});
process.on('SIGTERM', () => RED.stop().then(() => server.close(() => process.exit(0))));
`;

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The route under load, with 100 distinct names so templates see varying input. */
const greetPaths = Array.from({ length: 100 }, (_, i) => `/greet/user${i}`);
const EXPECTED = { greeting: 'hello ada', id: 'ada', ok: true };

interface Target {
  name: string;
  child: ChildProcess;
  url: string;
  rounds: Array<LoadResult & { serverCpuMs: number }>;
}

/** Wait for the server, check it answers the same JSON as the others, warm it up. */
async function ready(name: string, child: ChildProcess): Promise<Target> {
  const url = await waitForUrl(child);
  const check = await get(`${url}/greet/ada`);
  const body = check.status === 200 ? (JSON.parse(check.body) as unknown) : undefined;
  if (JSON.stringify(body) !== JSON.stringify(EXPECTED))
    throw new Error(`${name}: GET /greet/ada -> ${check.status} ${check.body} (want 200 ${JSON.stringify(EXPECTED)})`);
  await runLoad({ baseUrl: url, connections: CONNECTIONS, seconds: WARMUP_S, paths: greetPaths });
  return { name, child, url, rounds: [] };
}

/** User+system CPU milliseconds a process has used (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function startEngine(config: string, nodeFlags: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [...nodeFlags, join(root, 'bin/wfctl.js'), 'run', config, '--addr', '127.0.0.1:0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

async function coldStart(config: string): Promise<number> {
  const t0 = performance.now();
  const child = startEngine(config);
  try {
    const url = await waitForUrl(child);
    for (;;) {
      try {
        if ((await get(`${url}/greet/cold`)).status === 200) return performance.now() - t0;
      } catch {
        // not accepting yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await stop(child);
  }
}

/** Node-RED into DIR/node_modules with npm, only when --peers asks for it. */
function installNodeRed(dir: string): void {
  process.stdout.write(`installing node-red@${NODE_RED_VERSION} into ${dir} (npm) ...\n`);
  const r = spawnSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-save',
      '--loglevel=error',
      '--prefix',
      dir,
      `node-red@${NODE_RED_VERSION}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`npm install node-red@${NODE_RED_VERSION} failed (exit ${r.status})`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// wfctl runs from dist/ (the sources through tsx when dist/ is stale): measure what users run
await buildDist();
const dir = mkdtempSync(join(tmpdir(), 'wf-bench-'));
const config = join(dir, 'bench.yaml');
writeFileSync(config, CONFIG);
const children: ChildProcess[] = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();
console.log(
  `engine-http: autocannon -c ${CONNECTIONS} -d ${DURATION_S} per target per round, ${ROUNDS} rounds (targets ` +
    `alternate, ` +
    `first one rotates), ${WARMUP_S}s warm-up each, loopback; load average before: ${loadBefore}`,
);

const colds: number[] = [];
for (let i = 0; i < 3; i++) colds.push(await coldStart(config));
console.log(
  `cold start (spawn wfctl run -> first 200): median ${median(colds).toFixed(0)} ms of ` +
    `${colds.map((c) => c.toFixed(0)).join(', ')}  (target < 500 ms)`,
);

let nodeRedDir: string | undefined;
if (WITH_PEERS) {
  nodeRedDir = join(dir, 'node-red');
  mkdirSync(nodeRedDir);
  installNodeRed(nodeRedDir);
  writeFileSync(join(nodeRedDir, 'flows.json'), JSON.stringify(NODE_RED_FLOW));
}

const profileDir = PROFILE_DIR ? resolve(PROFILE_DIR) : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const spawned: Array<[string, ChildProcess]> = [
  ['raw node:http', spawn(process.execPath, ['-e', RAW_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] })],
  ['engine (wfctl run)', startEngine(config, profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
];
if (nodeRedDir)
  spawned.push([
    `Node-RED ${NODE_RED_VERSION}`,
    spawn(process.execPath, ['-e', NODE_RED_SERVER, nodeRedDir], { stdio: ['ignore', 'pipe', 'pipe'] }),
  ]);
for (const [, child] of spawned) children.push(child);
const engineChild = spawned[1]![1];
const targets: Target[] = [];
for (const [name, child] of spawned) targets.push(await ready(name, child));

for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < targets.length; k++) {
    const t = targets[(round + k) % targets.length]!;
    const before = cpuMs(t.child.pid!);
    const r = await runLoad({ baseUrl: t.url, connections: CONNECTIONS, seconds: DURATION_S, paths: greetPaths });
    t.rounds.push({ ...r, serverCpuMs: cpuMs(t.child.pid!) - before });
  }
}
for (const t of targets) await stop(t.child);
const loadAfter = load();

const [raw, engine] = targets as [Target, Target, ...Target[]];
const summary = (t: Target) => {
  const ok = t.rounds.reduce((a, r) => a + r.requests, 0);
  const seconds = t.rounds.reduce((a, r) => a + r.seconds, 0);
  return {
    rps: ok / seconds,
    ok,
    errors: t.rounds.reduce((a, r) => a + r.errors, 0),
    p50: median(t.rounds.map((r) => r.p50)),
    p99: median(t.rounds.map((r) => r.p99)),
    serverCpuPct: (t.rounds.reduce((a, r) => a + r.serverCpuMs, 0) * 100) / (seconds * 1000),
    serverCpuUsPerReq: (t.rounds.reduce((a, r) => a + r.serverCpuMs, 0) * 1000) / Math.max(1, ok),
    clientCpuPct: (t.rounds.reduce((a, r) => a + r.clientCpuMs, 0) * 100) / (seconds * 1000),
  };
};
const rawSummary = summary(raw);
console.log('');
console.log(
  'target                 req/s    p50 ms   p99 ms   errors   server CPU   CPU/req   client CPU   ratio to raw',
);
for (const t of targets) {
  const s = summary(t);
  console.log(
    `${t.name.padEnd(20)} ${s.rps.toFixed(0).padStart(7)}  ${s.p50.toFixed(2).padStart(7)}  ` +
      `${s.p99.toFixed(2).padStart(7)}  ` +
      `${String(s.errors).padStart(7)}   ${s.serverCpuPct.toFixed(0).padStart(8)} %  ` +
      `${s.serverCpuUsPerReq.toFixed(0).padStart(5)} us  ` +
      `${s.clientCpuPct.toFixed(0).padStart(8)} %   ${((s.rps / rawSummary.rps) * 100).toFixed(1).padStart(9)} %`,
  );
}
const perRound = engine.rounds.map((r, i) => r.rps / raw.rounds[i]!.rps);
const engineSummary = summary(engine);
const ratio = engineSummary.rps / rawSummary.rps;
const p99Ratio = engineSummary.p99 / rawSummary.p99;
// The ratios mean something only when the raw peer is the limit: its server saturates a core (so the
// client, with CPU to spare, was not the bottleneck). On a machine busy with other work each process
// gets a slice instead, and the ratios say nothing about the engine.
const saturated = rawSummary.serverCpuPct >= 85;
const verdict = (met: boolean) => (saturated ? (met ? 'met' : 'NOT met') : 'not judged: raw was not saturated');
console.log('');
console.log(
  `engine/raw throughput: ${(ratio * 100).toFixed(1)}% (per round: ` +
    `${perRound.map((r) => (r * 100).toFixed(1)).join(', ')}); ` +
    `target >= 50%: ${verdict(ratio >= 0.5)}`,
);
console.log(
  `engine/raw p99: ${p99Ratio.toFixed(2)}x (${engineSummary.p99.toFixed(2)} vs ${rawSummary.p99.toFixed(2)} ` +
    `ms); target < 2x: ${verdict(p99Ratio < 2)}`,
);
console.log(`load average before: ${loadBefore}; after: ${loadAfter} (2 cores; others' work shows here)`);
console.log(
  `client CPU while driving raw: ${rawSummary.clientCpuPct.toFixed(0)}% of one core; raw server: ` +
    `${rawSummary.serverCpuPct.toFixed(0)}% ` +
    (saturated
      ? '(saturated: the server, not the client, was the limit)'
      : '(NOT saturated: the machine is busy with other work; rerun when it is quiet)'),
);
// CPU per request is less sensitive to others' load than req/s: the capacity ratio of one core each
console.log(
  `CPU per request, raw/engine: ` +
    `${((rawSummary.serverCpuUsPerReq / engineSummary.serverCpuUsPerReq) * 100).toFixed(1)}% ` +
    `(${rawSummary.serverCpuUsPerReq.toFixed(0)} vs ${engineSummary.serverCpuUsPerReq.toFixed(0)} us)`,
);

if (profileDir) {
  // one profile per thread, named CPU.<date>.<time>.<pid>.<thread>.<seq>: the engine's main thread
  const mainThread = readdirSync(profileDir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${engineChild.pid}.0.`))
    .map((f) => join(profileDir, f));
  const newest = mainThread.sort().at(-1);
  if (newest) {
    const { frames, idlePct, gcPct } = topFrames(newest, 20);
    // as shares of the time the engine was busy (the profile also spans the raw peer's rounds)
    const busy = (pct: number) => ((pct * 100) / Math.max(1e-9, 100 - idlePct)).toFixed(1);
    console.log(
      `\nengine CPU profile ${newest} (idle ${idlePct.toFixed(1)}%; GC ${busy(gcPct)}% of busy time), top ` +
        `self time, % of busy time:`,
    );
    for (const f of frames) console.log(`${busy(f.selfPct).padStart(6)}%  ${f.name}`);
  }
}
process.exit(0);
