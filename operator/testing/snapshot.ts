// Snapshot assertions for node:test on Node 20 (which lacks t.assert.snapshot): values are kept as
// YAML beside the test, reviewed in diffs like any file. UPDATE_SNAPSHOTS=1 rewrites them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const update = process.env.UPDATE_SNAPSHOTS === '1';

export function snapshotFile(testFileUrl: string): string {
  const path = fileURLToPath(testFileUrl);
  return join(dirname(path), '__snapshots__', `${basename(path)}.yaml`);
}

export function assertSnapshot(file: string, name: string, value: unknown): void {
  const all = existsSync(file) ? ((parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>) : {};
  const actual = JSON.parse(JSON.stringify(value)) as unknown;
  if (update) {
    all[name] = actual;
    mkdirSync(dirname(file), { recursive: true });
    const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(file, stringify(sorted, { lineWidth: 0 }));
    return;
  }
  if (!(name in all)) assert.fail(`no snapshot "${name}" in ${file}; run with UPDATE_SNAPSHOTS=1 to record it`);
  assert.deepEqual(
    actual,
    all[name],
    `snapshot "${name}" differs (${file}); if the change is intended, rerun with UPDATE_SNAPSHOTS=1`,
  );
}
