// The upstream corpus configs that use the data/state plugins start and stop on the real engine
// (upstream only builds them, and skips the scheduler ones because no scheduler can bind; here they
// start with a real cron scheduler). Listen addresses are rewritten to 127.0.0.1:0 in a copy.
import { test } from 'node:test';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';
import { corpusExamples } from '../plugins/testing/index.ts';

const CONFIGS = [
  'order-processing-pipeline.yaml',
  'state-machine-workflow.yaml',
  'data-pipeline-config.yaml',
  'event-processor-config.yaml',
  'feature-flag-workflow.yaml',
  'license-validator.yaml',
  'openapi-petstore.yaml',
  'openapi-jsonapi-articles.yaml',
  'platform-deploy-from-template.yaml',
  'platform-microservice-template.yaml',
  'realtime-messaging-modular-config.yaml',
  'dependency-injection-example.yaml',
  'chat-platform/configs/api.yaml',
  'ecommerce-app/configs/users-products.yaml',
  'multi-workflow-config.yaml',
  'multi-workflow-ecommerce/workflow-a-orders.yaml',
  'multi-workflow-ecommerce/workflow-b-fulfillment.yaml',
  'multi-workflow-ecommerce/workflow-c-notifications.yaml',
  'simple-workflow-config.yaml',
  'sms-chat-config.yaml',
  'test-route-pipeline.yaml',
  'advanced-scheduler-workflow.yaml',
  'scheduled-jobs-config.yaml',
  'scheduled-jobs-modular-config.yaml',
  'trigger-workflow-example.yaml',
];

test('corpus configs using the data/state plugins start and stop', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'wf-plugins-corpus-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  cpSync(corpusExamples, work, { recursive: true });
  for (const file of CONFIGS) {
    await t.test(file, async () => {
      const path = join(work, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/address:\s*"?[\w.]*:\d+"?/g, 'address: "127.0.0.1:0"'));
      const engine = await Engine.fromFile(path, {
        plugins: corePlugins,
        logger: silentLogger(),
        dataDir: join(work, '.data', file.replace(/[/.]/g, '_')),
        env: { JWT_SECRET: 'corpus-test-secret' },
      });
      try {
        await engine.start();
      } finally {
        await engine.stop({ drainTimeoutMs: 200 });
      }
    });
  }
});
