// The test runner cannot pass vacuously: no matching file fails, and skipped or todo tests are reported
// (run-tests.mjs fails the run on any that test/allowed-skips.json does not allow).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;

test('a run that selects no test file fails', () => {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'run-tests.mjs'), 'no-test-file-has-this-name'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nothing was tested/);
});

test('the skip reporter reports skipped and todo tests, and only those', () => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(root, '.tmp', 'skip-reporter-'));
  try {
    const file = join(dir, 'demo.test.mjs');
    writeFileSync(
      file,
      "import { test } from 'node:test';\n" +
        "test('runs', () => {});\n" +
        "test('skipped', { skip: 'not here' }, () => {});\n" +
        "test('unfinished', { todo: 'later' }, () => { throw new Error('todo fails'); });\n",
    );
    const report = join(dir, 'skips.jsonl');
    spawnSync(
      process.execPath,
      [
        '--test',
        `--test-reporter=${join(root, 'scripts', 'skip-reporter.mjs')}`,
        `--test-reporter-destination=${report}`,
        file,
      ],
      // without the parent's NODE_TEST_CONTEXT, or it reports to this test run instead of the reporter
      { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
    );
    const lines = readFileSync(report, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; skip: unknown; todo: unknown });
    assert.deepEqual(
      lines.map((l) => [l.name, l.skip, l.todo]),
      [
        ['skipped', 'not here', false],
        ['unfinished', false, 'later'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the allow-list states a reason for each allowed skip', () => {
  const list = JSON.parse(readFileSync(join(root, 'test', 'allowed-skips.json'), 'utf8')) as {
    allowed: Array<{ test: string; reason: string }>;
  };
  for (const a of list.allowed) assert.ok(a.test && a.reason?.length > 10, `${JSON.stringify(a)} needs a reason`);
});
