import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { corpusRegistry, tempDir } from '../test/registry-support.ts';
import { emptyPublishedState, publishIndex } from './published.ts';
import { buildIndex } from './registry-index.ts';
import { writeStaticLayout } from './static-layout.ts';
import { DirectoryTree } from './tree.ts';

/** Every file under `dir` with its bytes, by relative path. */
function contents(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(
    files.map((e) => [relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8')]),
  );
}

test("indexing again keeps the static layout (and each version's released time) as it is", async () => {
  const dir = tempDir();
  try {
    const tree = new DirectoryTree(corpusRegistry);
    const index = await buildIndex(tree);
    // each run of `wfctl registry index` publishes the versions anew, at its own time
    const write = async (out: string, now: Date) => {
      const published = await publishIndex(emptyPublishedState, index, tree, undefined, now);
      return writeStaticLayout({ index, published, generation: 1, syncedAt: now }, tree, out);
    };
    const out = join(dir.path, 'v1');

    assert.deepEqual(await write(out, new Date('2026-01-01T00:00:00Z')), { files: 313, unchanged: false });
    const first = contents(out);
    assert.equal(first.size, 313);
    assert.equal(JSON.parse(first.get('plugins/http/latest.json')!).released, '2026-01-01T00:00:00.000Z');
    const indexJson = join(out, 'index.json');
    const before = statSync(indexJson);

    assert.deepEqual(await write(out, new Date('2026-02-01T00:00:00Z')), { files: 313, unchanged: true });
    const after = statSync(indexJson);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'index.json was not rewritten');
    assert.deepEqual(contents(out), first);

    // a changed byte, a stray file, and a missing file each make it write the layout again, exactly,
    // released times included
    const changes: Array<[string, (out: string) => void]> = [
      ['edited', (o) => writeFileSync(join(o, 'plugins/http/manifest.json'), '{}\n')],
      ['stray', (o) => writeFileSync(join(o, 'plugins/http/notes.txt'), 'x')],
      ['missing', (o) => rmSync(join(o, 'plugins/http/latest.json'))],
    ];
    for (const [what, change] of changes) {
      change(out);
      assert.equal((await write(out, new Date('2026-03-01T00:00:00Z'))).unchanged, false, what);
      assert.deepEqual(contents(out), first, what);
    }
    // the staging and old directories are gone
    assert.deepEqual(readdirSync(dir.path), ['v1']);

    // a new layout is released now
    const other = join(dir.path, 'other');
    await write(other, new Date('2026-04-01T00:00:00Z'));
    assert.equal(
      JSON.parse(readFileSync(join(other, 'plugins/http/latest.json'), 'utf8')).released,
      '2026-04-01T00:00:00.000Z',
    );
  } finally {
    dir.cleanup();
  }
});
