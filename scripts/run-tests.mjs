#!/usr/bin/env node
// Runs the node:test suites. `npm test` takes every `*.test.ts` except `*.slow.test.ts`;
// `npm run test:slow` takes only the slow ones; other arguments keep the files whose path contains one.
// Node 20's --test does not expand globs, hence this walk. A run that selects no test file fails, and
// so does one in which a test is skipped or left todo unless test/allowed-skips.json allows it.
//
// Tests import the TypeScript sources (through tsx). Programs they start (`bin/wfctl.js`, the git
// hook) run dist/, so dist/ (and the console's front end, console/dist) is rebuilt first; bin/wfctl.js
// also runs the sources whenever dist/ is older than them (an edit made while the tests run), so no
// test ever runs stale code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
// the web console's front end (console/dist), which the console tests load in Chromium
const consoleBuild = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
    'build',
    '--config',
    join(root, 'console', 'web', 'vite.config.ts'),
  ],
  { cwd: root, stdio: 'inherit' },
);
if (consoleBuild.status !== 0) {
  console.error('run-tests: the console build failed (npm run build:console), so nothing was tested');
  process.exit(1);
}

const concurrency = Math.max(1, Math.min(4, availableParallelism()));
// a slow suite may install the project from scratch (the quick start test runs npm ci in a fresh clone)
const timeoutMs = slow ? 60 * 60_000 : 300_000;
// Upstream corpus (read-only data, see test/fixtures/corpus/README.md): tests read WORKFLOW_CORPUS, which
// defaults to the copy vendored in the repository so a clean clone needs nothing beside it.
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');
mkdirSync(join(root, '.tmp'), { recursive: true });
const reportDir = mkdtempSync(join(root, '.tmp', 'test-run-'));
const skipsFile = join(reportDir, 'skips.jsonl');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'skip-reporter.mjs')}`,
    `--test-reporter-destination=${skipsFile}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', WORKFLOW_CORPUS: corpus } },
);
const unexpected = unallowedSkips(skipsFile);
rmSync(reportDir, { recursive: true, force: true });
if (unexpected.length > 0) {
  console.error(`run-tests: ${unexpected.length} test(s) skipped or todo, not in test/allowed-skips.json:`);
  for (const t of unexpected)
    console.error(`  ${t.file ? `${relative(root, t.file)}: ` : ''}${t.name} (${t.skip || t.todo})`);
  console.error('  make them run, or add them to test/allowed-skips.json with the reason');
  process.exit(1);
}
process.exit(result.status ?? 1);

/** Skipped and todo tests the allow-list does not name. */
function unallowedSkips(file) {
  let lines;
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [{ name: 'the skip reporter wrote no report', skip: 'cannot tell which tests were skipped' }];
  }
  const allowed = new Set(
    JSON.parse(readFileSync(join(root, 'test', 'allowed-skips.json'), 'utf8')).allowed.map((a) => a.test),
  );
  return lines.map((l) => JSON.parse(l)).filter((t) => !allowed.has(t.name));
}
