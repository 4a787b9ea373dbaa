#!/usr/bin/env node
// Runs the node:test suites. `npm test` takes every `*.test.ts` except `*.slow.test.ts`;
// `npm run test:slow` takes only the slow ones. Node 20's --test does not expand globs, hence this walk.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const slow = process.argv.includes('--slow');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const skipDirs = new Set(['node_modules', '.git', 'dist', '.tmp', 'data']);

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name), out);
    } else if (entry.name.endsWith('.test.ts')) {
      out.push(relative(root, join(dir, entry.name)));
    }
  }
  return out;
}

const files = walk(root, [])
  .filter((f) => f.endsWith('.slow.test.ts') === slow)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.log(slow ? 'no slow test suites' : 'no test suites found');
  process.exit(0);
}
const concurrency = Math.max(1, Math.min(4, availableParallelism()));
// Upstream corpus (read-only data, see test/fixtures/corpus/README.md): tests read WORKFLOW_CORPUS, which
// defaults to the copy vendored in the repository so a clean clone needs nothing beside it.
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', WORKFLOW_CORPUS: corpus } },
);
process.exit(result.status ?? 1);
