import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createRecorder, rejectsWithIssue, startTestApp, TestApp, waitFor } from '../testing/index.ts';
import { messagingPlugin } from '../messaging/index.ts';
import { modularCompatPlugin } from '../modularcompat/index.ts';
import { CronScheduler, cronProblem, schedulerPlugin } from './index.ts';

const plugins = [schedulerPlugin, modularCompatPlugin, messagingPlugin];

test('bad cron expressions are explained', () => {
  assert.equal(cronProblem('*/5 * * * *'), undefined);
  assert.equal(cronProblem('*/1 * * * * *'), undefined);
  assert.match(
    cronProblem('61 * * * *')!,
    /invalid cron expression "61 \* \* \* \*" \(minute: 61 is a invalid expression/,
  );
});

test('an inline schedule pipeline, a top-level schedule job and a workflows.scheduler job all fire', async (t) => {
  const recorder = createRecorder();
  const app = await startTestApp({
    plugins: [...plugins, recorder.plugin],
    config: {
      modules: [
        { name: 'ticker', type: 'scheduler.modular', config: { cronExpression: '* * * * * *' } },
        { name: 'tick-job', type: 'messaging.handler', config: { pipeline: 'from-job' } },
      ],
      workflows: { scheduler: { jobs: [{ scheduler: 'ticker', job: 'tick-job', config: { kind: 'stats' } }] } },
      triggers: {
        schedule: {
          jobs: [{ cron: '* * * * * *', workflow: 'pipeline:from-trigger', action: 'execute', params: { batch: 5 } }],
        },
      },
      pipelines: {
        'from-inline': {
          trigger: { type: 'schedule', config: { cron: '* * * * * *' } },
          steps: [{ name: 'rec', type: 'test.record' }],
        },
        'from-trigger': { steps: [{ name: 'rec', type: 'test.record' }] },
        'from-job': { steps: [{ name: 'rec', type: 'test.record' }] },
      },
    },
  });
  t.after(() => app.stop());
  const fired = await waitFor(
    () => {
      const names = new Set(recorder.runs.map((r) => r.pipeline));
      return names.size === 3 ? names : undefined;
    },
    4000,
    'all three schedules to fire',
  );
  assert.deepEqual([...fired].sort(), ['from-inline', 'from-job', 'from-trigger']);
  const trigger = recorder.runs.find((r) => r.pipeline === 'from-trigger')!.current;
  assert.equal(trigger.batch, 5);
  assert.ok(!Number.isNaN(Date.parse(String(trigger.trigger_time))));
  const job = recorder.runs.find((r) => r.pipeline === 'from-job')!.current;
  assert.deepEqual([job.job, (job.config as { kind: string }).kind], ['tick-job', 'stats']);
});

test('a slow job never overlaps itself; later ticks are skipped', async () => {
  const scheduler = new CronScheduler(pino({ level: 'silent' }));
  let active = 0;
  let maxActive = 0;
  scheduler.schedule(
    '* * * * * *',
    async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 1500));
      active--;
    },
    { name: 'slow' },
  );
  scheduler.start();
  await waitFor(() => scheduler.jobs()[0].skipped > 0, 30_000, 'a skipped tick');
  await scheduler.stop();
  assert.equal(maxActive, 1);
  assert.equal(active, 0, 'stop waits for the running job');
});

test('schedule config errors point at the job', async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [
      { jobs: [{ cron: '* * * * *', workflow: 'order-workflow' }] },
      'triggers.schedule.jobs[0].action',
      /"action" is required/,
    ],
    [
      { jobs: [{ cron: 'every minute', workflow: 'pipeline:x' }] },
      'triggers.schedule.jobs[0].cron',
      /invalid cron expression/,
    ],
  ];
  for (const [schedule, path, message] of cases) {
    const app = new TestApp({ plugins, config: { triggers: { schedule } } });
    await rejectsWithIssue(app.build(), path, message);
    await app.stop();
  }
});
