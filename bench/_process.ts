// Whole-process timing shared by the startup benchmarks: a current dist/, one run's wall and CPU
// time, medians.
import { type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
export const wfctl = join(root, 'bin', 'wfctl.js');

/** A current dist/, or bin/wfctl.js would run the sources and a benchmark would measure tsx. */
export function buildDist(): void {
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build.ts'), '--dist-only'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('the build failed');
}

export interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One whole-process run: wall time, and the CPU time of the child and everything it waited for. */
export function once(command: string, args: string[], options: SpawnSyncOptions = {}): Sample {
  childCpuMs();
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wallMs, cpuMs: childCpuMs() };
}

let lastChildCpu = 0;
/** CPU time of the children waited for since the previous call (RUSAGE_CHILDREN via /proc/self/stat). */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // cutime and cstime are fields 16 and 17 of stat (14 and 15 after the "pid (comm) " prefix is cut)
  const ticks = Number(fields[13]) + Number(fields[14]);
  const ms = (ticks * 1000) / 100;
  const delta = ms - lastChildCpu;
  lastChildCpu = ms;
  return delta;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `name  wall  CPU  x peer` rows, medians of each case's samples. */
export function table(peer: Sample[], results: Map<string, Sample[]>): string[] {
  const peerWall = median(peer.map((s) => s.wallMs));
  const peerCpu = median(peer.map((s) => s.cpuMs));
  const row = (name: string, wall: number, cpu: number) =>
    `  ${name.padEnd(42)} ${wall.toFixed(0).padStart(8)} ${cpu.toFixed(0).padStart(7)} ` +
    `${(wall / peerWall).toFixed(2).padStart(12)} ${(cpu / peerCpu).toFixed(2).padStart(11)}`;
  const lines = [
    `  ${'command'.padEnd(42)} ${'wall ms'.padStart(8)} ${'CPU ms'.padStart(7)} ${'x peer wall'.padStart(12)} ` +
      `${'x peer CPU'.padStart(11)}`,
    row('node -e 0 (peer)', peerWall, peerCpu),
  ];
  for (const [name, samples] of results)
    lines.push(row(name, median(samples.map((s) => s.wallMs)), median(samples.map((s) => s.cpuMs))));
  return lines;
}

/**
 * Runs a TypeScript script (`node --import tsx script ...args`) as a child process, so a load
 * generator never shares the measured process's event loop; resolves with the JSON of the last line
 * it prints. `what` names it in the error when it fails.
 */
export function runJsonChild<T>(script: string, args: string[], what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) return reject(new Error(`${what} exited ${code}: ${err.trim()}`));
      resolve(JSON.parse(line) as T);
    });
  });
}
