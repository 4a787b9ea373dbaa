// When a CronJob is due, as kube's cronjob controller computes it: the most recent schedule time
// after the last one it started (or its creation), not older than startingDeadlineSeconds. Schedules
// are parsed and matched (time zones included) by node-cron; the search walks back minute by minute,
// bounded so a yearly schedule costs milliseconds.
import cron from 'node-cron';

const MINUTE = 60_000;
/** How far back missed schedules are looked for when nothing else bounds the search. */
export const MAX_LOOKBACK_MS = 7 * 24 * 60 * MINUTE;

export interface DueSchedule {
  /** The schedule time to start a Job for (a whole minute). */
  time: number;
  /** How many schedule times were missed before it (kube warns above 100). */
  missed: number;
}

export interface ScheduleMatcher {
  matches(time: number): boolean;
  /** node-cron keeps every task it made in a registry: release it. */
  destroy(): void;
}

/** Matches a minute against a schedule in a time zone (UTC when none is given). */
export function scheduleMatcher(schedule: string, timeZone?: string): ScheduleMatcher {
  const task = cron.createTask(schedule, () => {}, { timezone: timeZone ?? 'Etc/UTC' });
  return { matches: (time) => task.match(new Date(time)), destroy: () => void task.destroy() };
}

/**
 * The most recent schedule time in (after, now], or undefined. `after` is the last schedule time a
 * Job was started for (or the CronJob's creation); startingDeadlineSeconds narrows the window.
 */
export function dueSchedule(
  matches: (time: number) => boolean,
  after: number,
  now: number,
  startingDeadlineSeconds?: number,
): DueSchedule | undefined {
  let earliest = Math.max(after, now - MAX_LOOKBACK_MS);
  if (startingDeadlineSeconds !== undefined) earliest = Math.max(earliest, now - startingDeadlineSeconds * 1000);
  let due: number | undefined;
  let missed = 0;
  for (let t = Math.floor(now / MINUTE) * MINUTE; t > earliest; t -= MINUTE) {
    if (!matches(t)) continue;
    if (due === undefined) due = t;
    else if (++missed > 100) break;
  }
  return due === undefined ? undefined : { time: due, missed };
}

/** The next schedule time after `now` within `horizonMs`, or undefined (look again later). */
export function nextSchedule(
  matches: (time: number) => boolean,
  now: number,
  horizonMs = 60 * MINUTE,
): number | undefined {
  for (let t = Math.floor(now / MINUTE) * MINUTE + MINUTE; t <= now + horizonMs; t += MINUTE) if (matches(t)) return t;
  return undefined;
}
