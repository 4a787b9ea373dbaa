// Every sample WorkflowApp in examples/ is valid against the schema, carries a config the engine
// accepts, and renders to the objects the operator would apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { corePlugins } from '../plugins/index.ts';
import { engineConfigValidator, validateWorkflowAppObject, type WorkflowApp } from '../operator/index.ts';

const examples = new URL('../examples/', import.meta.url).pathname;
const files = [
  ...readdirSync(examples).filter((f) => f.endsWith('.workflowapp.yaml')),
  ...readdirSync(examples)
    .filter((d) => d.startsWith('workflowapp-'))
    .map((d) => join(d, 'app.yaml')),
];
const validate = engineConfigValidator(corePlugins);

test('there are WorkflowApp examples for every strategy and for configMapRef', () => {
  const docs = files.flatMap((f) =>
    parseAllDocuments(readFileSync(join(examples, f), 'utf8')).map((d) => d.toJS() as WorkflowApp),
  );
  const apps = docs.filter((d) => d.kind === 'WorkflowApp');
  const strategies = new Set(apps.map((a) => a.spec.strategy?.type ?? 'RollingUpdate'));
  for (const s of ['RollingUpdate', 'Canary', 'BlueGreen'])
    assert.ok(strategies.has(s as never), `an example uses ${s}`);
  assert.ok(
    apps.some((a) => a.spec.configMapRef),
    'an example uses configMapRef',
  );
});

for (const file of files) {
  test(`examples/${file}: schema-valid WorkflowApp with an engine-valid config`, async () => {
    const docs = parseAllDocuments(readFileSync(join(examples, file), 'utf8')).map(
      (d) => d.toJS() as Record<string, any>,
    );
    for (const app of docs.filter((d) => d.kind === 'WorkflowApp') as WorkflowApp[]) {
      assert.deepEqual(validateWorkflowAppObject(app), [], `${file}: ${app.metadata.name}`);
      const config =
        app.spec.config ??
        docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === app.spec.configMapRef?.name)?.data?.[
          app.spec.configMapRef?.key ?? 'workflow.yaml'
        ];
      assert.ok(config, `${file}: the config is inline or in a ConfigMap of the same file`);
      const check = await validate(config, `${file}#config`);
      assert.deepEqual(check.errors, [], `${file}: engine validation`);
    }
  });
}
