// The benchmarks' HTTP load generator (autocannon-style): N keep-alive connections, each sending
// its next request as soon as the previous answer ends, for a fixed time. Only 2xx answers count as
// requests; everything else is an error. Used in-process (`runLoad`) or as a child process
// (`node --import tsx bench/_load.ts BASE_URL PATHS_FILE SECONDS CONNECTIONS`, one JSON line out),
// so that a bench whose own heap is large cannot add GC pauses to the measurement.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadOptions {
  baseUrl: string;
  /** Request paths, taken round-robin across all connections. */
  paths: string[];
  seconds: number;
  connections: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const path = opts.paths[next++ % opts.paths.length]!;
      const started = performance.now();
      const req = request({ host: url.hostname, port: url.port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const deadline = performance.now() + opts.seconds * 1000;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1) ?? 0,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [baseUrl, pathsFile, seconds, connections] = process.argv.slice(2);
  const paths = readFileSync(pathsFile!, 'utf8').split('\n').filter(Boolean);
  const result = await runLoad({
    baseUrl: baseUrl!,
    paths,
    seconds: Number(seconds),
    connections: Number(connections),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
