import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepFailedError, runSteps, type StepEvent } from './steps.ts';

test('steps run in order and report "step N of M" with timings', async () => {
  const events: StepEvent[] = [];
  const order: string[] = [];
  await runSteps(
    [
      { title: 'one', component: 'first', run: async () => void order.push('one') },
      {
        title: 'two',
        component: 'second',
        run: async () => {
          order.push('two');
          return 'detail';
        },
      },
    ],
    (e) => events.push(e),
  );
  assert.deepEqual(order, ['one', 'two']);
  assert.deepEqual(
    events.map((e) => [e.kind, e.index, e.total, e.title]),
    [
      ['start', 1, 2, 'one'],
      ['done', 1, 2, 'one'],
      ['start', 2, 2, 'two'],
      ['done', 2, 2, 'two'],
    ],
  );
  const last = events.at(-1)!;
  assert.ok(last.kind === 'done' && last.detail === 'detail' && last.elapsedMs >= last.ms);
});

test('the first failure stops the run and names its component', async () => {
  let ranAfter = false;
  const events: StepEvent[] = [];
  await assert.rejects(
    runSteps(
      [
        {
          title: 'git',
          component: 'the git server',
          run: async () => {
            throw new Error('boom');
          },
        },
        { title: 'later', component: 'later', run: async () => void (ranAfter = true) },
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
  assert.equal(ranAfter, false);
  assert.equal(events.at(-1)!.kind, 'failed');
});
