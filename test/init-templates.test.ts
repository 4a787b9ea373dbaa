// `wfctl init --template NAME DIR` for every template, used as generated, as a new user would:
// `wfctl validate`, `wfctl plugin test` (the wftest files it ships), `wfctl deploy --dry-run` (a
// WorkflowApp carrying the config) and `wfctl run` (it listens and answers). A directory that is not
// empty, or an unknown template, is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startApp, wfctl } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
before(() => {
  dirs = tempDir('init-templates-');
});
after(() => dirs?.cleanup());

const templates = ['api-service', 'event-processor', 'full-stack', 'plugin', 'ui-plugin'] as const;

async function ok(args: string[], cwd: string): Promise<string> {
  const r = await wfctl(args, { cwd });
  assert.equal(r.code, 0, `wfctl ${args.join(' ')} in ${cwd}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

for (const template of templates) {
  test(`init --template ${template}: validate, plugin test, deploy --dry-run and run accept it as generated`, {
    timeout: 280_000,
  }, async () => {
    const dir = join(dirs.path, template);
    const created = await ok(['init', '--template', template, dir], dirs.path);
    assert.match(created, new RegExp(`created ${template} project`));

    assert.match(await ok(['validate', 'workflow.yaml'], dir), /PASS workflow\.yaml/);

    const tested = await ok(['plugin', 'test'], dir);
    assert.match(tested, /^TAP version 13\n1\.\.[1-9]/);
    assert.doesNotMatch(tested, /not ok/);

    const manifest = parse(await ok(['deploy', 'workflow.yaml', '--dry-run'], dir));
    assert.equal(manifest.kind, 'WorkflowApp');
    assert.equal(manifest.apiVersion, 'workflow.gocodealone.com/v1alpha1');
    assert.deepEqual(parse(manifest.spec.config), parse(readFileSync(join(dir, 'workflow.yaml'), 'utf8')));

    const running = await startApp('workflow.yaml', { cwd: dir });
    try {
      // every template has a health.checker
      const res = await fetch(`${running.url}/healthz`);
      assert.equal(res.status, 200, running.output());
      assert.equal(((await res.json()) as { status: string }).status, 'healthy');
    } finally {
      await running.stop();
    }
  });
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
