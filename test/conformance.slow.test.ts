// npm run conformance inside the slow suite: upstream's own scenarios, deployed and tested by their
// own scripts with the real kubectl. Every scenario that scripts/conformance-expectations.yaml does not
// expect to fail must pass all of its upstream tests; the expected failures still run and are reported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { loadExpectations } from '../scripts/conformance.ts';

test("upstream's workflow-scenarios pass on devcluster (npm run conformance)", { timeout: 60 * 60_000 }, () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/conformance.ts'], {
    encoding: 'utf8',
    timeout: 55 * 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  process.stdout.write(output.replace(/^/gm, '# '));
  const lines = output.split('\n');
  const expected = loadExpectations();
  const results = lines
    .map((l) => /^(PASS|FAIL) (\S+): (\d+) PASS, (\d+) FAIL/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ ok: m[1] === 'PASS', id: m[2]!, pass: Number(m[3] ?? 0), fail: Number(m[4] ?? 0) }));
  assert.ok(results.length >= 7, `every scenario reports a result:\n${output}`);
  assert.match(output, /^\d+ passed, \d+ failed$/m);
  for (const r of results.filter((r) => !(r.id in expected))) {
    assert.ok(r.ok && r.fail === 0 && r.pass > 0, `${r.id} must pass every upstream test:\n${output}`);
  }
  assert.equal(run.status, 0, output);
});
