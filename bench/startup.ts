// npm run bench -- startup [--runs 5]
//
// Whole-process start of wfctl from dist/ (as a user runs it: `node bin/wfctl.js ...`), against the
// peer `node -e 0` measured in the same run, interleaved, so machine load hits both alike:
//   - `wfctl --version`, `wfctl --help`, and `wfctl <command> --help` for every listed command
//     (what each command costs before it does any work; target < 150 ms);
//   - `wfctl registry index` of the upstream registry (104 manifests; target < 300 ms).
// Medians of wall time and of CPU time (user + system, less sensitive to other load). dist/ is
// rebuilt first, so bin/wfctl.js runs it (not the sources).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../cli/commands/index.ts';

const root = new URL('..', import.meta.url).pathname;
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const wfctl = join(root, 'bin', 'wfctl.js');
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');

// a current dist/, or bin/wfctl.js would run the sources and this would measure tsx
const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build.ts'), '--dist-only'], {
  stdio: 'inherit',
});
if (build.status !== 0) throw new Error('the build failed');

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** One whole-process run: wall time, and the child's CPU time. */
function once(args: string[]): Sample {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const out = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const cases: Array<[string, string[]]> = [
  ['wfctl --version', [wfctl, '--version']],
  ['wfctl --help', [wfctl, '--help']],
  ...commands.map((c): [string, string[]] => [`wfctl ${c.name} --help`, [wfctl, c.name, '--help']]),
  [
    'wfctl registry index (104 manifests)',
    [wfctl, 'registry', 'index', join(corpus, 'workflow-registry'), '--out', join(out, 'v1'), '-o', 'json'],
  ],
];
childCpuMs();
const peer: Sample[] = [];
const results = new Map<string, Sample[]>(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) {
    peer.push(once(['-e', '0']));
    results.get(name)!.push(once(args));
  }
}
rmSync(out, { recursive: true, force: true });

const peerWall = median(peer.map((s) => s.wallMs));
const peerCpu = median(peer.map((s) => s.cpuMs));
const lines = [
  `startup, whole process, median of ${runs} (interleaved with the peer), dist/ build`,
  `  peer node -e 0: ${peerWall.toFixed(0)} ms wall, ${peerCpu.toFixed(0)} ms CPU`,
  `  ${'command'.padEnd(42)} ${'wall ms'.padStart(8)} ${'CPU ms'.padStart(7)} ${'x peer (wall)'.padStart(14)}`,
];
for (const [name, samples] of results) {
  const wall = median(samples.map((s) => s.wallMs));
  const cpu = median(samples.map((s) => s.cpuMs));
  lines.push(
    `  ${name.padEnd(42)} ${wall.toFixed(0).padStart(8)} ${cpu.toFixed(0).padStart(7)} ${(wall / peerWall).toFixed(2).padStart(14)}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
