import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIndexes, jobOutcome, parseIndexes, podsToCreate, type Counts, type JobPod } from './job-logic.ts';

const counts = (succeeded = 0, failed = 0, indexes: number[] = []): Counts => ({
  succeeded,
  failed,
  succeededIndexes: new Set(indexes),
});
const pod = (over: Partial<JobPod> = {}): JobPod => ({
  name: 'p',
  uid: 'u',
  phase: 'Running',
  terminating: false,
  ready: true,
  restarts: 0,
  ...over,
});

test('completions and parallelism decide how many pods start', () => {
  assert.equal(podsToCreate({ completions: 5, parallelism: 2 }, counts(), []).length, 2);
  assert.equal(podsToCreate({ completions: 5, parallelism: 2 }, counts(), [pod()]).length, 1);
  assert.equal(podsToCreate({ completions: 5, parallelism: 2 }, counts(4), []).length, 1, 'only what is left');
  assert.equal(podsToCreate({ completions: 3 }, counts(3), []).length, 0);
  // a work-queue Job (completions unset) starts nothing once one pod succeeded
  assert.equal(podsToCreate({ parallelism: 3 }, counts(), []).length, 3);
  assert.equal(podsToCreate({ parallelism: 3 }, counts(1), []).length, 0);
  // terminating and finished pods are not active
  assert.equal(podsToCreate({ completions: 2, parallelism: 2 }, counts(), [pod({ terminating: true })]).length, 2);
});

test('Indexed Jobs start the indexes neither done nor running, up to parallelism', () => {
  const spec = { completionMode: 'Indexed' as const, completions: 5, parallelism: 2 };
  assert.deepEqual(podsToCreate(spec, counts(0, 0, [0]), [pod({ index: 1 })]), [2]);
  assert.deepEqual(podsToCreate(spec, counts(0, 0, [0, 1, 2, 3]), []), [4]);
  assert.deepEqual(podsToCreate(spec, counts(0, 0, [0, 1, 2, 3, 4]), []), []);
});

test('outcome: completions reached, backoff limit exceeded, deadline exceeded', () => {
  assert.equal(jobOutcome({ completions: 2 }, counts(1), [pod()], 0, 1).kind, 'running');
  assert.deepEqual(jobOutcome({ completions: 2 }, counts(2), [], 0, 1), {
    kind: 'complete',
    reason: 'CompletionsReached',
    message: 'Reached expected number of succeeded pods',
  });
  assert.equal(jobOutcome({ backoffLimit: 1 }, counts(0, 1), [], 0, 1).kind, 'running', 'failed == limit still runs');
  const failed = jobOutcome({ backoffLimit: 1 }, counts(0, 2), [], 0, 1);
  assert.equal(failed.kind === 'failed' && failed.reason, 'BackoffLimitExceeded');
  assert.equal(jobOutcome({}, counts(0, 6), [], 0, 1).kind, 'running', 'default backoffLimit is 6');
  // OnFailure pods restart in place: their restarts count against the limit
  const onFailure = { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure' } } };
  assert.equal(jobOutcome(onFailure, counts(), [pod({ restarts: 1 })], 0, 1).kind, 'running');
  assert.equal(jobOutcome(onFailure, counts(), [pod({ restarts: 2 })], 0, 1).kind, 'failed');
  const late = jobOutcome({ activeDeadlineSeconds: 10 }, counts(), [pod()], 0, 10_000);
  assert.equal(late.kind === 'failed' && late.reason, 'DeadlineExceeded');
  assert.equal(jobOutcome({ activeDeadlineSeconds: 10 }, counts(), [pod()], 0, 9_999).kind, 'running');
  // Indexed: complete once every index succeeded
  assert.equal(
    jobOutcome({ completionMode: 'Indexed', completions: 2 }, counts(0, 0, [0, 1]), [], 0, 1).kind,
    'complete',
  );
});

test('completed indexes are written and read as kube writes them', () => {
  assert.equal(formatIndexes(new Set([0, 1, 3, 4, 5, 7])), '0,1,3-5,7');
  assert.equal(formatIndexes(new Set()), '');
  assert.deepEqual([...parseIndexes('0,1,3-5,7')], [0, 1, 3, 4, 5, 7]);
  assert.deepEqual([...parseIndexes(undefined)], []);
});
