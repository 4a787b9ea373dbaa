// Full replay: the index after each of the 290 upstream commits, built incrementally, equals a full
// build of that commit apart from versions refused by the immutability rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneHistory, tempDir } from './registry-support.ts';
import { expectedRefusals, replay } from './registry-replay-support.ts';

test('every commit of the upstream history: incremental equals full build', {
  timeout: 600_000,
}, async (t) => {
  const dir = tempDir();
  try {
    const commits = cloneHistory(dir.path);
    const result = await replay(dir.path, commits, 1);
    assert.equal(result.compared, 290);
    assert.deepEqual([...result.refused.keys()].sort(), expectedRefusals);
    for (const r of result.refused.values())
      t.diagnostic(`refused ${r.id}@${r.version} at ${r.revision.slice(0, 12)}: ${r.problem.message}`);
  } finally {
    dir.cleanup();
  }
});
