// npm run bench -- up [--runs 3]
//
// How long `wfctl up` (what `npm start` runs) takes to be ready, as a user starts it: a child
// process `node bin/wfctl.js up --data DIR --port-base 0` from dist/, timed from spawn until
// DIR/platform.json is written and the console answers. Each run starts on an empty data dir
// (first start: PKI, repositories seeded, CRDs applied, the examples synced) and then again on the
// same dir (second start: everything reused, the examples' pods restarted). Targets: under 10 s
// first, under 5 s second. Peers measured in the same run: `wfctl devcluster` alone to its
// kubeconfig (the cluster the platform embeds), and `node -e 0` (the floor of any Node CLI).
// The bench process only polls a file every 20 ms; its CPU time is printed to show it is not the
// bottleneck. The per-step times are wfctl up's own progress lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const wfctl = join(root, 'bin', 'wfctl.js');
const runsIndex = process.argv.indexOf('--runs');
const RUNS = runsIndex > 0 ? Number(process.argv[runsIndex + 1]) : 3;
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a positive integer');

interface Timed {
  ms: number;
  output: string;
  /** CPU seconds used by the process tree until ready (its own, its live children's, and reaped ones'). */
  cpu: number;
}

/** utime+stime (+cutime+cstime of reaped children) of a process and its live descendants, in seconds. */
function treeCpu(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      cpu.set(Number(entry), (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / ticks);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    total += cpu.get(p) ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return total;
}

/** Spawns `args`, resolves when `ready(output)` holds; the process keeps running. */
async function startTimed(
  args: string[],
  ready: (output: string) => boolean | Promise<boolean>,
): Promise<Timed & { child: ChildProcess }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (await ready(output)) return { ms: performance.now() - t0, output, child, cpu: treeCpu(child.pid!) };
    if (exited) throw new Error(`${args.join(' ')} exited before it was ready:\n${output}`);
    if (performance.now() - t0 > 300_000) throw new Error(`${args.join(' ')} not ready after 300 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
}

function upReady(dataDir: string, started: number) {
  const info = join(dataDir, 'platform.json');
  return async () => {
    if (!existsSync(info)) return false;
    if (statSync(info).mtimeMs < started) return false;
    const { consoleUrl } = JSON.parse(readFileSync(info, 'utf8')) as { consoleUrl: string };
    return (await fetch(`${consoleUrl}/healthz`).catch(() => undefined))?.status === 200;
  };
}

async function timeUp(dataDir: string): Promise<Timed> {
  const started = Date.now();
  const ready = upReady(dataDir, started);
  const run = await startTimed([wfctl, 'up', '--data', dataDir, '--port-base', '0'], ready);
  await stop(run.child);
  return run;
}

async function timeDevcluster(dataDir: string): Promise<number> {
  const run = await startTimed([wfctl, 'devcluster', '--data', dataDir, '--port', '0'], (out) =>
    out.includes('devcluster is serving'),
  );
  await stop(run.child);
  return run.ms;
}

async function timeNode(): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => spawn(process.execPath, ['-e', '0']).once('exit', r));
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** "step 3 of 9  git server ... (1.2 s, 4.5 s elapsed)" -> title and step time. */
const steps = (output: string) =>
  [...output.matchAll(/step \d+ of \d+ {2}(.+?) {2}.*\((\d+\.\d) s, (\d+\.\d) s elapsed\)/g)].map((m) => ({
    title: m[1]!.replace(/ \(.*$/, ''),
    s: m[2]!,
  }));

const cpu0 = process.cpuUsage();
const first: number[] = [];
const second: number[] = [];
const firstCpu: number[] = [];
const secondCpu: number[] = [];
const cluster: number[] = [];
const node: number[] = [];
let lastFirst = '';
let lastSecond = '';
for (let i = 0; i < RUNS; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-up-'));
  try {
    node.push(await timeNode());
    cluster.push(await timeDevcluster(join(dir, 'devcluster-only')));
    const a = await timeUp(join(dir, 'data'));
    first.push(a.ms);
    firstCpu.push(a.cpu);
    lastFirst = a.output;
    const b = await timeUp(join(dir, 'data'));
    second.push(b.ms);
    secondCpu.push(b.cpu);
    lastSecond = b.output;
    process.stdout.write(
      `run ${i + 1}: first ${s(a.ms)}, second ${s(b.ms)}, devcluster alone ${s(cluster.at(-1)!)}, node -e 0 ` +
        `${s(node.at(-1)!)}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const cpu = process.cpuUsage(cpu0);

process.stdout.write(`\n== wfctl up, spawn to ready (platform.json written, console answering), median of ${RUNS}\n`);
const line = (label: string, value: string) => process.stdout.write(`  ${label.padEnd(52)}${value}\n`);
line('first start (empty data dir)', `${s(median(first))}   target < 10 s`);
line('second start (same data dir)', `${s(median(second))}   target < 5 s`);
line(
  'CPU time of its process tree until ready (1st/2nd)',
  `${median(firstCpu).toFixed(2)} s / ${median(secondCpu).toFixed(2)} s`,
);
line('peer: wfctl devcluster alone, to its kubeconfig', s(median(cluster)));
line('peer: node -e 0', s(median(node)));
line('first start / devcluster alone', `${(median(first) / median(cluster)).toFixed(2)}x`);
line('second start / devcluster alone', `${(median(second) / median(cluster)).toFixed(2)}x`);
line('bench process CPU (user+system)', s((cpu.user + cpu.system) / 1000));
for (const [label, output] of [
  ['first start', lastFirst],
  ['second start', lastSecond],
] as const) {
  process.stdout.write(`\n  steps of the last ${label}: `);
  process.stdout.write(
    `${steps(output)
      .map((x) => `${x.title} ${x.s} s`)
      .join(' | ')}\n`,
  );
  const loaded = /step 1 of \d+ .*\((\d+\.\d) s, (\d+\.\d) s elapsed\)/.exec(output);
  if (loaded) process.stdout.write(`  loading wfctl before the first step: ${loaded[2]} s\n`);
}
