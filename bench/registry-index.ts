// npm run bench -- registry-index [--runs 5] [--upstream-runs 3]
//
// `wfctl registry index` of the upstream registry (the vendored corpus: 104 manifests, 6 templates) as
// a whole process (target < 300 ms), side by side with upstream's own scripts/build-index.sh (bash and
// jq, ~4 jq processes per manifest), and the peer `node -e 0`, interleaved so machine load hits all
// alike. Both write their static layout into a copy of the registry. wfctl runs two ways: into a new
// --out directory (the first index: 313 files written), and again into the --out of an earlier run
// (nothing changed, so nothing is written: what a CI job re-running on the same checkout does).
//
// build-index.sh is upstream's code, not vendored here: point UPSTREAM_BUILD_INDEX at it (from a
// checkout of GoCodeAlone/workflow-registry: scripts/build-index.sh; it needs bash and jq). Without
// it only wfctl and the peer are measured.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDist, median, once, root, type Sample, table, wfctl } from './_process.ts';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = flag('--runs', 5);
const upstreamRuns = flag('--upstream-runs', 3);
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');
const upstreamScript = process.env.UPSTREAM_BUILD_INDEX;
if (upstreamScript && !existsSync(upstreamScript))
  throw new Error(`UPSTREAM_BUILD_INDEX=${upstreamScript}: no such file`);
const hasJq = spawnSync('jq', ['--version']).status === 0;

buildDist();
const work = mkdtempSync(join(tmpdir(), 'bench-registry-index-'));
const registry = join(work, 'workflow-registry');
cpSync(join(corpus, 'workflow-registry'), registry, { recursive: true });

const index = (out: string) =>
  once(process.execPath, [wfctl, 'registry', 'index', registry, '--out', out, '-o', 'json']);
index(join(work, 'again')); // the earlier run whose layout the "again" runs find

const load = loadavg()[0]!;
const peer: Sample[] = [];
const fresh: Sample[] = [];
const again: Sample[] = [];
const upstream: Sample[] = [];
for (let i = 0; i < runs; i++) {
  peer.push(once(process.execPath, ['-e', '0']));
  fresh.push(index(join(work, `fresh-${i}`)));
  again.push(index(join(work, 'again')));
  if (upstreamScript && hasJq && i < upstreamRuns) {
    rmSync(join(registry, 'v1'), { recursive: true, force: true });
    upstream.push(once('bash', [upstreamScript], { env: { ...process.env, REPO_ROOT: registry } }));
  }
}
rmSync(work, { recursive: true, force: true });

const results = new Map<string, Sample[]>([
  ['wfctl registry index, new --out', fresh],
  ['wfctl registry index, same --out again', again],
]);
if (upstream.length > 0) results.set("upstream's build-index.sh (bash + jq)", upstream);
const lines = [
  `registry index of the upstream registry, whole process, median of ${runs} (upstream: ${upstream.length}), ` +
    `dist/ build; load average ${load.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  ...table(peer, results),
];
if (upstream.length > 0) {
  const speedup = (pick: (s: Sample) => number) => median(upstream.map(pick)) / median(fresh.map(pick));
  lines.push(
    `  wfctl (new --out) is ${speedup((s) => s.wallMs).toFixed(1)}x faster than build-index.sh in wall time, ` +
      `${speedup((s) => s.cpuMs).toFixed(1)}x in CPU time`,
  );
} else {
  lines.push(
    `  upstream's build-index.sh not measured: ` +
      `${hasJq ? 'set UPSTREAM_BUILD_INDEX to its path' : 'jq is not installed'}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
