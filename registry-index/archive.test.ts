import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ArchiveError, extractTarGz, readTarGz, unsafeEntryReason, writeTarGz } from './archive.ts';

function tempDir(): { path: string; [Symbol.dispose](): void } {
  const path = mkdtempSync(join(tmpdir(), 'archive-test-'));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

test('reads what writeTarGz wrote: paths, types, modes and bytes', () => {
  const entries = readTarGz(
    writeTarGz([
      { path: 'bin/', data: '', type: 'directory' },
      { path: 'bin/plugin', data: '#!/bin/sh\n', mode: 0o755 },
      { path: 'link', data: '', type: 'symlink', linkTarget: '/etc/passwd' },
    ]),
  );
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.mode, e.data.toString()]),
    [
      ['bin/', 'directory', 0o755, ''],
      ['bin/plugin', 'file', 0o755, '#!/bin/sh\n'],
      ['link', 'symlink', 0o644, ''],
    ],
  );
});

test('corrupt, truncated and oversized archives are refused with ArchiveError', () => {
  assert.throws(() => readTarGz(Buffer.from('not an archive at all')), ArchiveError);
  const good = writeTarGz([{ path: 'a.txt', data: 'x'.repeat(5000) }]);
  assert.throws(() => readTarGz(good.subarray(0, good.length - 20)), ArchiveError);
  assert.throws(() => readTarGz(good, { maxUnpackedBytes: 4096 }), /unpacks to more than 4096 bytes/);
  const many = writeTarGz(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, data: '' })));
  assert.throws(() => readTarGz(many, { maxEntries: 3 }), /more than 3 entries/);
  // a gzip bomb: 64 MiB of zeros in a tar entry, refused at the entry header's size, not after inflating
  const bomb = writeTarGz([{ path: 'zeros', data: Buffer.alloc(64 * 1024 * 1024) }]);
  assert.throws(() => readTarGz(bomb, { maxUnpackedBytes: 1024 * 1024 }), /unpacks to more than/);
});

test('unsafe entries: links, absolute paths, climbing paths, control characters', () => {
  assert.match(unsafeEntryReason({ path: 'x', type: 'symlink' })!, /only files and directories/);
  assert.match(unsafeEntryReason({ path: 'x', type: 'hardlink' })!, /only files and directories/);
  assert.match(unsafeEntryReason({ path: '/etc/cron.d/x', type: 'file' })!, /absolute/);
  assert.match(unsafeEntryReason({ path: 'C:/x', type: 'file' })!, /absolute/);
  assert.match(unsafeEntryReason({ path: 'a/../../x', type: 'file' })!, /climbs out/);
  assert.match(unsafeEntryReason({ path: 'a\u0007b', type: 'file' })!, /control characters/);
  assert.equal(unsafeEntryReason({ path: 'bin/plugin', type: 'file' }), undefined);
});

test('extractTarGz writes files and directories with safe modes', () => {
  using dir = tempDir();
  const dest = join(dir.path, 'plugin');
  const written = extractTarGz(
    writeTarGz([
      { path: 'bin/', data: '', type: 'directory' },
      { path: 'bin/plugin', data: 'run', mode: 0o4777 },
      { path: 'README.md', data: 'hello', mode: 0o666 },
    ]),
    dest,
  );
  assert.deepEqual(written, ['bin/plugin', 'README.md']);
  assert.equal(readFileSync(join(dest, 'bin/plugin'), 'utf8'), 'run');
  assert.equal(statSync(join(dest, 'bin/plugin')).mode & 0o7777, 0o755);
  assert.equal(statSync(join(dest, 'README.md')).mode & 0o7777, 0o644);
});

test('extractTarGz writes nothing when any entry is unsafe, and refuses duplicates and a used directory', () => {
  using dir = tempDir();
  const outside = join(dir.path, 'escape');
  for (const bad of [
    [
      { path: 'ok.txt', data: 'ok' },
      { path: '../escape', data: 'x' },
    ],
    [
      { path: 'ok.txt', data: 'ok' },
      { path: 'link', data: '', type: 'symlink' as const, linkTarget: '/' },
    ],
  ]) {
    const dest = join(dir.path, `dest-${Math.random().toString(36).slice(2)}`);
    assert.throws(() => extractTarGz(writeTarGz(bad), dest), ArchiveError);
    assert.equal(existsSync(join(dest, 'ok.txt')), false, 'nothing written');
  }
  assert.equal(existsSync(outside), false);
  const dup = join(dir.path, 'dup');
  assert.throws(
    () =>
      extractTarGz(
        writeTarGz([
          { path: 'a', data: '1' },
          { path: 'a', data: '2' },
        ]),
        dup,
      ),
    /more than once/,
  );
  const used = join(dir.path, 'used');
  mkdirSync(used);
  writeFileSync(join(used, 'x'), '');
  assert.throws(() => extractTarGz(writeTarGz([{ path: 'a', data: '1' }]), used), /not empty/);
});
