import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueSchedule, MAX_LOOKBACK_MS, nextSchedule, scheduleMatcher } from './cron-schedule.ts';

const at = (iso: string) => Date.parse(iso);

test('schedules match minutes in the CronJob time zone (UTC by default)', () => {
  const hourly = scheduleMatcher('0 * * * *');
  const berlin = scheduleMatcher('30 9 * * *', 'Europe/Berlin');
  try {
    assert.ok(hourly.matches(at('2026-01-05T10:00:00Z')));
    assert.ok(!hourly.matches(at('2026-01-05T10:01:00Z')));
    assert.ok(berlin.matches(at('2026-01-05T08:30:00Z')), '09:30 in Berlin is 08:30 UTC in winter');
    assert.ok(!berlin.matches(at('2026-01-05T09:30:00Z')));
  } finally {
    hourly.destroy();
    berlin.destroy();
  }
});

test('the most recent due time after the last run, counting the missed ones, within the deadline', () => {
  const everyTen = (t: number) => new Date(t).getUTCMinutes() % 10 === 0;
  const now = at('2026-01-05T10:25:30Z');
  assert.deepEqual(dueSchedule(everyTen, at('2026-01-05T10:05:00Z'), now), {
    time: at('2026-01-05T10:20:00Z'),
    missed: 1,
  });
  assert.equal(dueSchedule(everyTen, at('2026-01-05T10:20:00Z'), now), undefined, 'already started');
  assert.equal(dueSchedule(everyTen, at('2026-01-05T10:05:00Z'), now, 60), undefined, 'past startingDeadlineSeconds');
  // a creation long ago looks back a bounded time only
  const due = dueSchedule(everyTen, 0, now);
  assert.equal(due?.time, at('2026-01-05T10:20:00Z'));
  assert.ok(due!.missed <= 101);
  assert.ok(MAX_LOOKBACK_MS >= 24 * 3600_000);
});

test('the next schedule time within the horizon', () => {
  const everyTen = (t: number) => new Date(t).getUTCMinutes() % 10 === 0;
  assert.equal(nextSchedule(everyTen, at('2026-01-05T10:25:30Z')), at('2026-01-05T10:30:00Z'));
  assert.equal(
    nextSchedule(() => false, at('2026-01-05T10:25:30Z')),
    undefined,
  );
});
