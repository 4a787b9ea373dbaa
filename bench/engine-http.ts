// npm run bench -- engine-http [--duration 8] [--connections 32]
// Requests/s and latency of a 3-step pipeline route (request_parse -> set -> json_response) served
// by `wfctl run`, against a raw node:http handler answering the same JSON, both in child processes,
// measured in the same run by our own keep-alive load generator on loopback. Also the cold start:
// process spawn to the first 200.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from './_load.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const DURATION_S = arg('duration', 8);
const ROUNDS = 4;
const CONNECTIONS = arg('connections', 32);
const WARMUP_S = 1;
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

// the peer: the same JSON from a bare node:http handler
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

/** The pipeline route under load, with 100 distinct names so templates see varying input. */
const greetPaths = Array.from({ length: 100 }, (_, i) => `/greet/user${i}`);

function load(url: string, seconds: number, connections: number): Promise<LoadResult> {
  return runLoad({ baseUrl: url, paths: greetPaths, seconds, connections });
}

async function ready(name: string, child: ChildProcess): Promise<string> {
  const url = await waitForUrl(child);
  const check = await get(`${url}/greet/ada`);
  if (check.status !== 200) throw new Error(`${name}: GET /greet/ada -> ${check.status} ${check.body}`);
  await load(url, WARMUP_S, CONNECTIONS);
  return url;
}

function combine(results: LoadResult[]): LoadResult {
  const requests = results.reduce((a, r) => a + r.requests, 0);
  return {
    requests,
    errors: results.reduce((a, r) => a + r.errors, 0),
    rps: results.reduce((a, r) => a + r.rps, 0) / results.length,
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    max: Math.max(...results.map((r) => r.max)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
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
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function coldStart(config: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [join(root, 'bin/wfctl.js'), 'run', config, '--addr', '127.0.0.1:0', '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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

const fmt = (r: LoadResult) =>
  `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   max ${r.max.toFixed(1).padStart(6)} ms   (${r.requests} ok, ${r.errors} errors)`;

console.log(
  `engine-http: ${CONNECTIONS} keep-alive connections, ${DURATION_S}s per target in ${ROUNDS} alternating rounds after ${WARMUP_S}s warm-up, loopback`,
);
const colds: number[] = [];
for (let i = 0; i < 3; i++) colds.push(await coldStart(config));
const cold = colds.sort((a, b) => a - b)[1]!;
console.log(
  `cold start (spawn wfctl run -> first 200): median ${cold.toFixed(0)} ms of ${colds.map((c) => c.toFixed(0)).join(', ')}  (target < 500 ms)`,
);

// both servers up at once; rounds alternate raw/engine so load from elsewhere on the machine
// affects both alike
const raw = spawn(process.execPath, ['-e', RAW_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
const engine = spawn(
  process.execPath,
  [join(root, 'bin/wfctl.js'), 'run', config, '--addr', '127.0.0.1:0', '--log-level', 'warn'],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
children.push(raw, engine);
const rawUrl = await ready('raw node:http', raw);
const engineUrl = await ready('engine', engine);
const rawRounds: LoadResult[] = [];
const engineRounds: LoadResult[] = [];
const cpu = { raw: 0, engine: 0 };
for (let round = 0; round < ROUNDS; round++) {
  let before = cpuMs(raw.pid!);
  rawRounds.push(await load(rawUrl, DURATION_S / ROUNDS, CONNECTIONS));
  cpu.raw += cpuMs(raw.pid!) - before;
  before = cpuMs(engine.pid!);
  engineRounds.push(await load(engineUrl, DURATION_S / ROUNDS, CONNECTIONS));
  cpu.engine += cpuMs(engine.pid!) - before;
}
await stop(raw);
await stop(engine);
const rawResult = combine(rawRounds);
const engineResult = combine(engineRounds);
console.log(`raw node:http handler         ${fmt(rawResult)}`);
console.log(`engine 3-step pipeline route  ${fmt(engineResult)}`);

// the load generator shares the machine, so it can be the bottleneck; server CPU per request
// shows what each server costs regardless of who saturates first
const rawCpu = (cpu.raw * 1000) / rawResult.requests;
const engineCpu = (cpu.engine * 1000) / engineResult.requests;
if (rawCpu > 0 && engineCpu > 0) {
  console.log(
    `server CPU per request: raw ${rawCpu.toFixed(0)} us, engine ${engineCpu.toFixed(0)} us  -> engine can serve ${((rawCpu / engineCpu) * 100).toFixed(1)}% of raw's rate when CPU-bound`,
  );
}
const ratio = engineResult.rps / rawResult.rps;
console.log(
  `ratio engine/raw throughput: ${(ratio * 100).toFixed(1)}%  (target >= 50%)   p99 ${engineResult.p99.toFixed(2)} vs ${rawResult.p99.toFixed(2)} ms`,
);
process.exit(0);
