// npm run bench -- startup [--runs 5]
//
// Whole-process start of wfctl from dist/ (as a user runs it: `node bin/wfctl.js ...`), against the
// peer `node -e 0` measured in the same run, interleaved, so machine load hits both alike:
// `wfctl --version`, `wfctl --help`, and `wfctl <command> --help` for every listed command (what each
// command costs before it does any work; target < 150 ms). Medians of wall time and of CPU time (user +
// system, less sensitive to other load). `npm run bench -- registry-index` times a command at work.
import { availableParallelism, loadavg } from 'node:os';
import { commands } from '../cli/commands/index.ts';
import { buildDist, once, type Sample, table, wfctl } from './_process.ts';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

buildDist();
const cases: Array<[string, string[]]> = [
  ['wfctl --version', [wfctl, '--version']],
  ['wfctl --help', [wfctl, '--help']],
  ...commands.map((c): [string, string[]] => [`wfctl ${c.name} --help`, [wfctl, c.name, '--help']]),
];
const load = loadavg()[0]!;
const peer: Sample[] = [];
const results = new Map<string, Sample[]>(cases.map(([name]) => [name, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) {
    peer.push(once(process.execPath, ['-e', '0']));
    results.get(name)!.push(once(process.execPath, args));
  }
}
process.stdout.write(
  [
    `startup, whole process, median of ${runs} (interleaved with the peer), dist/ build; ` +
      `load average ${load.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    ...table(peer, results),
  ].join('\n') + '\n',
);
