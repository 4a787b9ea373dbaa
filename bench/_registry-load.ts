// Child process for bench/registry.ts: a keep-alive HTTP load generator. N connections each send the
// next request as soon as the previous answer ends, for a fixed time. Prints one JSON line:
// {rps, p50, p99, errors}. Kept out of the bench's main process so its large heap (the generated
// index) cannot add GC pauses to the measurement.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [baseUrl, pathsFile, secondsArg, connectionsArg] = process.argv.slice(2);
const paths = readFileSync(pathsFile!, 'utf8').split('\n').filter(Boolean);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const url = new URL(baseUrl!);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const latencies: number[] = [];
let errors = 0;
let next = 0;
const deadline = performance.now() + seconds * 1000;

const one = () => new Promise<void>((resolve) => {
  const path = paths[next++ % paths.length]!;
  const t = performance.now();
  const req = request({ host: url.hostname, port: url.port, path, agent }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode !== 200) errors++;
      latencies.push(performance.now() - t);
      resolve();
    });
  });
  req.on('error', () => {
    errors++;
    resolve();
  });
  req.end();
});

const started = performance.now();
await Promise.all(Array.from({ length: connections }, async () => {
  while (performance.now() < deadline) await one();
}));
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
process.stdout.write(`${JSON.stringify({ rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), errors })}\n`);
