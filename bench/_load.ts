// The benchmarks' one HTTP load generator: autocannon (N keep-alive connections, each sending its next
// request as soon as the previous answer ends, for a fixed time), always in a process of its own so it
// neither shares a heap with the bench nor hides its own CPU cost. Only 2xx answers count as requests;
// everything else is an error. `runLoad` spawns
// `node --import tsx bench/_load.ts BASE_URL PATHS_FILE SECONDS CONNECTIONS` (paths one a line, taken in
// turn on every connection), which prints one JSON line: a LoadResult, the client's own CPU included.
// Latencies are taken from autocannon's per-response event (its own histogram keeps whole ms only).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './_process.ts';

export interface LoadResult {
  /** 2xx answers. */
  requests: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  /** 2xx answers per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU the client process used during the run (user + system), ms. */
  clientCpuMs: number;
  seconds: number;
}

export interface LoadOptions {
  baseUrl: string;
  /** Request paths, taken in turn on every connection. */
  paths: string[];
  seconds: number;
  connections: number;
}

interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}

type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  requests?: Array<{ path: string }>;
}) => AutocannonInstance;

const self = fileURLToPath(import.meta.url);

/** Drive `baseUrl` from a child process; resolves with its result line. */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wf-load-'));
  const pathsFile = join(dir, 'paths.txt');
  writeFileSync(pathsFile, opts.paths.join('\n'));
  const args = [opts.baseUrl, pathsFile, String(opts.seconds), String(opts.connections)];
  return runJsonChild<LoadResult>(self, args, 'load generator').finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
}

async function main(baseUrl: string, pathsFile: string, seconds: number, connections: number): Promise<LoadResult> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const paths = readFileSync(pathsFile, 'utf8').split('\n').filter(Boolean);
  // a preallocated buffer: pushing to a plain array would cost the client GC time under load
  let latencies = new Float64Array(1 << 20);
  let n = 0;
  const cpuBefore = process.cpuUsage();
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    ...(paths.length > 0 ? { requests: paths.map((path) => ({ path })) } : {}),
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status < 200 || status >= 300) return;
    if (n === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[n++] = ms;
  });
  const r = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = latencies.subarray(0, n).sort();
  const q = (p: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.floor(n * p))]!);
  return {
    requests: r['2xx'],
    errors: r.non2xx + r.errors + r.timeouts,
    rps: r['2xx'] / r.duration,
    p50: q(0.5),
    p99: q(0.99),
    max: n === 0 ? 0 : sorted[n - 1]!,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    seconds: r.duration,
  };
}

if (process.argv[1] === self) {
  const [baseUrl, pathsFile, seconds, connections] = process.argv.slice(2);
  const result = await main(baseUrl!, pathsFile!, Number(seconds), Number(connections));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
