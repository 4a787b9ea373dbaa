import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { git, json, manifest, tempDir } from '../test/registry-support.ts';
import { openSource } from './git-source.ts';
import { RegistrySync } from './sync.ts';

function repoWith(dir: string, ids: string[]): void {
  for (const id of ids) {
    mkdirSync(join(dir, 'plugins', id), { recursive: true });
    writeFileSync(join(dir, 'plugins', id, 'manifest.json'), json(manifest(id)));
  }
  git(dir, 'add', '-A', '.');
  git(dir, 'commit', '-q', '-m', `add ${ids.join(', ')}`);
}

test('triggers during a run are coalesced into one follow-up run; never two at once', async () => {
  const dir = tempDir();
  try {
    git(dir.path, 'init', '-q', '-b', 'main');
    repoWith(dir.path, ['alpha']);
    const sync = new RegistrySync({
      source: openSource(dir.path, { cacheDir: dir.path }),
      logger: pino({ level: 'silent' }),
    });
    const first = sync.trigger('test');
    repoWith(dir.path, ['beta']);
    const joined = [sync.trigger('a'), sync.trigger('b'), sync.trigger('c')];
    assert.equal(sync.status().state, 'syncing');
    for (const p of joined) assert.equal(p, first); // callers during a run share its result
    assert.equal((await first).outcome, 'updated');
    await sync.idle();
    // the follow-up run picked up the second commit
    assert.deepEqual([...sync.current()!.index.plugins.keys()], ['alpha', 'beta']);
    assert.equal((await sync.trigger('again')).outcome, 'unchanged');
  } finally {
    dir.cleanup();
  }
});

test('a schedule must be a valid cron expression; a missing branch is a clear failure', async () => {
  const dir = tempDir();
  try {
    git(dir.path, 'init', '-q', '-b', 'main');
    repoWith(dir.path, ['alpha']);
    const sync = new RegistrySync({
      source: openSource(dir.path, { branch: 'nope', cacheDir: dir.path }),
      logger: pino({ level: 'silent' }),
    });
    assert.throws(() => sync.start('every minute'), /invalid cron schedule "every minute"/);
    sync.start('*/5 * * * *');
    assert.equal(sync.status().schedule, '*/5 * * * *');
    sync.stop();
    const r = await sync.trigger('test');
    assert.equal(r.outcome, 'failed');
    assert.match(r.outcome === 'failed' ? `${r.error} ${r.hint}` : '', /branch "nope" not found .* --branch/);
  } finally {
    dir.cleanup();
  }
});
