#!/usr/bin/env node
// Runs the node:test suites. `npm test` takes every `*.test.ts` except `*.slow.test.ts`;
// `npm run test:slow` takes only the slow ones; other arguments keep the files whose path contains one.
// Node 20's --test does not expand globs, hence this walk. A run that selects no test file fails.
//
// Tests import the TypeScript sources (through tsx). Programs they start (`bin/wfctl.js`, the git
// hook) run dist/, so dist/ is rebuilt first; bin/wfctl.js also runs the sources whenever dist/ is
// older than them (an edit made while the tests run), so no test ever runs stale code.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

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
  const what = `${slow ? 'slow ' : ''}test file${filters.length ? ` matching ${filters.join(', ')}` : ''}`;
  console.error(`run-tests: no ${what}: nothing was tested`);
  process.exit(1);
}

const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'build.ts'), '--dist-only'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error('run-tests: the build failed (npm run build:dist), so nothing was tested');
  process.exit(1);
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
