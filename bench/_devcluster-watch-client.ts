// A watch client for bench/devcluster.ts, run as a child process so that the streams' TLS decryption
// is spread over processes (cores) and no stream's arrival time waits behind the bench's own work.
// The bench starts a few of these with `node --import tsx bench/_devcluster-watch-client.ts JOB`
// (JOB: WatchClientJob as JSON) and hears from them over the IPC channel.
import { Agent, request } from 'node:https';

/** Posted objects are named ev-<index>: the index finds the send time. */
const MARKER = '"name":"ev-';

/** A wall-clock timestamp with sub-millisecond resolution that means the same in every process. */
export const clock = () => performance.timeOrigin + performance.now();

/** A watch client's job, passed as its one argument (JSON). */
export interface WatchClientJob {
  url: string;
  path: string;
  token: string;
  ca: string;
  watchers: number;
}

export type WatchClientMessage = { ready: true } | { delivered: number } | { arrivals: number[] };

/**
 * One watch client: a child process holding `watchers` streams. It stamps each event's arrival
 * with `clock()` as its 'data' callback runs, tells the bench when an event reached all of its
 * streams, and on 'stop' sends back its arrivals as [event index, time] pairs.
 */
async function runWatchClient(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as WatchClientJob;
  const send = (m: WatchClientMessage) => process.send!(m);
  const agent = new Agent({ keepAlive: true, maxSockets: job.watchers });
  const arrivals: number[] = [];
  const counts: number[] = [];
  const requests: Array<ReturnType<typeof request>> = [];
  await inParallel(job.watchers, 50, async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        new URL(job.path, job.url),
        {
          agent,
          ca: job.ca,
          headers: { Authorization: `Bearer ${job.token}` },
        },
        (res) => {
          // an event can straddle two chunks: only complete lines count, the rest waits for the next chunk
          let partial = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = clock();
            const text = partial + chunk;
            const complete = text.lastIndexOf('\n') + 1;
            partial = text.slice(complete);
            for (let at = text.indexOf(MARKER); at >= 0 && at < complete; at = text.indexOf(MARKER, at + 1)) {
              const start = at + MARKER.length;
              const index = Number(text.slice(start, text.indexOf('"', start)));
              arrivals.push(index, now);
              counts[index] = (counts[index] ?? 0) + 1;
              if (counts[index] === job.watchers) send({ delivered: index });
            }
          });
          resolve();
        },
      );
      req.on('error', reject);
      req.end();
      requests.push(req);
    });
  });
  send({ ready: true });
  await new Promise((r) => process.once('message', r));
  for (const req of requests) req.destroy();
  agent.destroy();
  // a few MB of arrivals: disconnecting before they are written would lose them
  process.send!({ arrivals } satisfies WatchClientMessage, () => process.disconnect());
}

async function inParallel(count: number, concurrency: number, task: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) await task();
    }),
  );
}

if (process.send) await runWatchClient();
