// `wfctl init --template plugin|ui-plugin DIR`, used as generated (see init-templates.test.ts).
import { after, before, test } from 'node:test';
import { checkTemplate } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

let dirs: ReturnType<typeof tempDir>;
before(() => {
  dirs = tempDir('init-templates-plugins-');
});
after(() => dirs?.cleanup());

for (const template of ['plugin', 'ui-plugin']) {
  test(
    `init --template ${template}: validate, plugin test, deploy --dry-run and run accept it as generated`,
    {
      timeout: 280_000,
    },
    () => checkTemplate(template, dirs.path),
  );
}
