// Replays the upstream registry history commit by commit through the incremental indexer and the
// published-version ledger, comparing with full builds. Shared by the fast and the slow replay test.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  GitCommitTree,
  allRefusals,
  buildIndex,
  emptyPublishedState,
  publishIndex,
  servedEntry,
  updateIndex,
  versionKey,
  type PublishedState,
  type RegistryIndex,
  type Refusal,
} from '../registry-index/index.ts';

export interface ReplayResult {
  commits: number;
  compared: number;
  /** Every refusal the ledger made during the replay, first occurrence, by id@version. */
  refused: Map<string, Refusal>;
}

/** `compareEvery`: check against a full build at every Nth commit (and always at the last). */
export async function replay(repoDir: string, commits: string[], compareEvery: number): Promise<ReplayResult> {
  const location = { gitdir: join(repoDir, '.git'), cache: {} };
  let index: RegistryIndex | undefined;
  let published: PublishedState = emptyPublishedState;
  const refused = new Map<string, Refusal>();
  let compared = 0;
  for (const [i, commit] of commits.entries()) {
    const tree = new GitCommitTree(location, commit);
    let touched: Set<string> | undefined;
    if (index) {
      const changes = await tree.changesSince(index.revision);
      index = await updateIndex(index, tree, changes);
      touched = new Set(changes.filter((c) => c.path.startsWith('plugins/')).map((c) => c.path.split('/')[1]!));
    } else {
      index = await buildIndex(tree);
    }
    published = await publishIndex(published, index, tree, touched);
    for (const r of allRefusals(published))
      if (!refused.has(versionKey(r.id, r.version))) refused.set(versionKey(r.id, r.version), r);
    if (i % compareEvery === 0 || i === commits.length - 1) {
      assertSameAsFullBuild(index, published, await buildIndex(tree), commit);
      compared++;
    }
  }
  return { commits: commits.length, compared, refused };
}

/** The served index equals a full build of the same commit, except versions refused by immutability. */
function assertSameAsFullBuild(
  incremental: RegistryIndex,
  published: PublishedState,
  full: RegistryIndex,
  commit: string,
): void {
  assert.deepEqual([...incremental.plugins.keys()], [...full.plugins.keys()], `plugin set differs at ${commit}`);
  assert.deepEqual(incremental.problems, full.problems, `problems differ at ${commit}`);
  for (const [id, fullEntry] of full.plugins) {
    const served = servedEntry(incremental.plugins.get(id)!, published);
    assert.deepEqual(served.summary, fullEntry.summary, `summary of ${id} differs at ${commit}`);
    assert.deepEqual(
      served.versions.map((v) => v.version),
      fullEntry.versions.map((v) => v.version),
      `versions of ${id} differ at ${commit}`,
    );
    for (const [n, v] of fullEntry.versions.entries()) {
      const key = versionKey(id, v.version);
      const same = JSON.stringify(served.versions[n]) === JSON.stringify(v);
      assert.equal(
        same,
        !published.refusals.get(id)?.has(v.version),
        `${key} at ${commit}: ${same ? 'refused but identical' : 'differs but not refused'}`,
      );
    }
  }
}

/** The 8 name@version entries whose artifacts upstream changed after first publishing them. */
export const expectedRefusals = [
  'authz@0.5.3',
  'ci-generator@0.1.3',
  'digitalocean@1.0.12',
  'digitalocean@2.0.0',
  'github@1.0.3',
  'gitlab@1.0.0',
  'salesforce@0.2.2',
  'twilio@0.2.0',
];
