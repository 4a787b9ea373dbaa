// `wfctl init --template NAME DIR` for the app templates, used as generated, as a new user would:
// `wfctl validate`, `wfctl plugin test` (the wftest files it ships), `wfctl deploy --dry-run` (a
// WorkflowApp carrying the config) and `wfctl run` (it listens and answers). A directory that is not
// empty, or an unknown template, is refused. The plugin templates: init-templates-plugins.test.ts
// (a file each keeps both within the per-file limit on a loaded machine).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTemplate, wfctl } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
before(() => {
  dirs = tempDir('init-templates-');
});
after(() => dirs?.cleanup());

for (const template of ['api-service', 'event-processor', 'full-stack']) {
  test(
    `init --template ${template}: validate, plugin test, deploy --dry-run and run accept it as generated`,
    {
      timeout: 280_000,
    },
    () => checkTemplate(template, dirs.path),
  );
}

test('init refuses a non-empty directory and an unknown template, naming the choices', async () => {
  const full = join(dirs.path, 'occupied');
  mkdirSync(full);
  writeFileSync(join(full, 'keep.txt'), 'mine');
  const occupied = await wfctl(['init', '--template', 'api-service', full], { cwd: dirs.path });
  assert.notEqual(occupied.code, 0);
  assert.match(occupied.stderr, /not empty/);
  assert.equal(readFileSync(join(full, 'keep.txt'), 'utf8'), 'mine');

  const unknown = await wfctl(['init', '--template', 'blog', join(dirs.path, 'blog')], { cwd: dirs.path });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /blog.*api-service, event-processor, full-stack, plugin, ui-plugin/s);
});
