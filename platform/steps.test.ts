import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepFailedError, runSteps, type StepEvent } from './steps.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

test('a step starts once the steps it needs are done; independent ones run side by side', async () => {
  const log: string[] = [];
  const events: StepEvent[] = [];
  const step = (id: string, after: string[] = [], detail?: string) => ({
    id,
    title: `title ${id}`,
    component: id,
    after,
    run: async () => {
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
      return detail;
    },
  });
  await runSteps(
    [step('data'), step('cluster', ['data']), step('git', ['data'], 'seeded'), step('operator', ['cluster', 'git'])],
    (e) => events.push(e),
  );
  assert.deepEqual(log.slice(0, 2), ['start data', 'end data']);
  assert.ok(log.indexOf('start git') < log.indexOf('end cluster'), 'git and cluster overlap');
  assert.ok(log.indexOf('start operator') > Math.max(log.indexOf('end cluster'), log.indexOf('end git')));
  assert.deepEqual(
    events.map((e) => [e.kind, e.index, e.total]),
    [
      ['done', 1, 4],
      ['done', 2, 4],
      ['done', 3, 4],
      ['done', 4, 4],
    ],
  );
  const git = events.find((e) => e.title === 'title git')!;
  assert.ok(git.kind === 'done' && git.detail === 'seeded' && git.elapsedMs >= git.ms);
});

test('the first failure names its component; nothing after it starts, and running steps are waited for', async () => {
  let laterStarted = false;
  let siblingFinished = false;
  const events: StepEvent[] = [];
  await assert.rejects(
    runSteps(
      [
        {
          id: 'git',
          title: 'git',
          component: 'the git server',
          run: async () => {
            throw new Error('boom');
          },
        },
        {
          id: 'cluster',
          title: 'cluster',
          component: 'devcluster',
          run: async () => {
            await tick();
            siblingFinished = true;
            return undefined;
          },
        },
        {
          id: 'later',
          title: 'later',
          component: 'later',
          after: ['git'],
          run: async () => {
            laterStarted = true;
            return undefined;
          },
        },
      ],
      (e) => events.push(e),
    ),
    (err: Error) => {
      assert.ok(err instanceof StepFailedError);
      assert.equal(err.message, 'the git server did not start: boom');
      assert.equal(err.cause.message, 'boom');
      return true;
    },
  );
  assert.equal(laterStarted, false);
  assert.equal(siblingFinished, true, 'a step already running is waited for, so its parts can be stopped');
  assert.ok(events.some((e) => e.kind === 'failed' && e.title === 'git'));
});

test('unknown dependencies are a programming error, reported at once', async () => {
  await assert.rejects(
    runSteps([{ id: 'a', title: 'a', component: 'a', after: ['nope'], run: async () => undefined }]),
    /waits for unknown step nope/,
  );
});
