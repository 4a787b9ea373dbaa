// Open-loop HTTPS POST load for bench/admission.ts, run as a child process so the generator never
// shares an event loop with the server it measures:
//   node --import tsx bench/_admission-load.ts URL BODIES_FILE RATE SECONDS CA_FILE
// Request i is due at start + i/RATE and is sent then whatever is still in flight; its latency runs
// from that due time to the end of the answer (no coordinated omission). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [url, bodiesFile, rateArg, secondsArg, caFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const bodies = (JSON.parse(readFileSync(bodiesFile, 'utf8')) as string[]).map((b) => Buffer.from(b));
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const target = new URL(url);
// A bounded pool of kept-alive connections, opened before the clock starts: requests beyond it wait
// in the agent (and that wait counts), instead of each paying a TLS handshake.
const connections = 32;
const agent = new Agent({ keepAlive: true, maxSockets: connections, ca: readFileSync(caFile, 'utf8') });
const latencies: number[] = [];
let errors = 0;
let lateStarts = 0;

function send(i: number, due: number): Promise<void> {
  return new Promise((resolve) => {
    const body = bodies[i % bodies.length]!;
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        agent,
        servername: 'localhost', // the serving certificate covers it; an IP as TLS server name is deprecated
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - due);
          else errors++;
          resolve();
        });
      },
    );
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

await Promise.all(Array.from({ length: connections }, (_, i) => send(i, performance.now())));
latencies.length = 0;
errors = 0;
const start = performance.now() + 50;
const inflight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  else if (wait < -5) lateStarts++;
  inflight.push(send(i, due));
}
await Promise.all(inflight);
const elapsed = (performance.now() - start) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: q(0.5),
    p99: q(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    // requests the generator itself sent more than 5 ms late: > 1 % means it was the bottleneck
    lateStarts,
  })}\n`,
);
