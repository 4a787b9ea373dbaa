// Fast replay: every commit of the upstream history goes through the incremental indexer; every 10th
// is compared with a full build. registry-replay.slow.test.ts compares at every commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneHistory, tempDir } from './registry-support.ts';
import { expectedRefusals, replay } from './registry-replay-support.ts';

test('upstream history replays incrementally, equal to full builds apart from immutability refusals', {
  timeout: 120_000,
}, async () => {
  const dir = tempDir();
  try {
    const commits = cloneHistory(dir.path);
    assert.equal(commits.length, 290);
    const result = await replay(dir.path, commits, 10);
    assert.equal(result.compared, 30);
    assert.deepEqual([...result.refused.keys()].sort(), expectedRefusals);
    const sha = result.refused.get('digitalocean@2.0.0')!;
    assert.equal(sha.problem.rule, 'immutable-version');
    assert.match(sha.problem.message, /darwin\/amd64 sha256 changed/);
    assert.match(result.refused.get('gitlab@1.0.0')!.problem.message, /linux\/amd64 removed/);
    assert.match(result.refused.get('authz@0.5.3')!.problem.message, /URL changed/);
  } finally {
    dir.cleanup();
  }
});
