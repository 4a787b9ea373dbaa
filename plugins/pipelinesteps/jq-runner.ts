// Runs jq programs for step.jq on one worker thread per process (jq-worker.mjs).
//
// Why jq-wasm: it is jq itself (1.8, C, compiled to WebAssembly and shipped inside the npm package,
// no native build or download), so every jq feature behaves as jq documents it; the pure-JS ports
// on npm lack try/catch, error/1, label/break or destructuring. Its one cost is that each call runs
// jq's `main`, which compiles the builtin library (~10 ms). So calls never run on the event loop:
// requests that arrive while the worker is busy are queued, and all queued inputs of one program
// run as one call (the cost is paid once per batch, not per request). A program that runs past its
// timeout (`until`, `repeat` on the wrong input) terminates the worker; a fresh one takes the queue.
import { Worker } from 'node:worker_threads';
import {
  batchProgram,
  checkProgram,
  describeCompileError,
  type JqOutcome,
  type JqWorkerReply,
  type JqWorkerRequest,
  parseBatch,
} from './jq-protocol.ts';

/** A batch never carries more than this many inputs or this much JSON. */
const MAX_BATCH_INPUTS = 256;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** How long a compile check may take (the first one also loads jq: well under a second). */
const CHECK_TIMEOUT_MS = 60_000;

interface Job {
  program: string;
  timeoutMs: number;
  input: string;
  resolve(outcome: JqOutcome): void;
  reject(err: Error): void;
}

export class JqTimeoutError extends Error {}

/** jq-worker.mjs beside this file in the sources; dist/jq-worker.js (a build entry) beside the bundle. */
function startWorker(): Worker {
  const file = import.meta.url.endsWith('.ts') ? './jq-worker.mjs' : './jq-worker.js';
  return new Worker(new URL(file, import.meta.url));
}

export class JqRunner {
  private worker?: Worker;
  private queue: Job[] = [];
  private inFlight?: { id: number; jobs: Job[]; timeoutMs: number; timer?: NodeJS.Timeout };
  /** Whether the current worker has loaded jq (a batch's clock starts then, not while jq loads). */
  private workerReady = false;
  private nextId = 1;

  /** The compile error of a program (jq's message), or undefined when it compiles. Blocks. */
  check(program: string): string | undefined {
    const shared = new SharedArrayBuffer(8 + 16 * 1024);
    const state = new Int32Array(shared, 0, 2);
    const request: JqWorkerRequest = { input: null, program: checkProgram(program), flags: ['-n'], shared };
    this.ensureWorker().postMessage(request);
    // load-time only: the config cannot be built before jq has answered
    if (Atomics.wait(state, 0, 0, CHECK_TIMEOUT_MS) === 'timed-out')
      throw new Error('jq did not answer a compile check within a minute');
    const text = new TextDecoder().decode(new Uint8Array(shared, 8, state[1]!).slice());
    return text === '' ? undefined : describeCompileError(text);
  }

  /** Every output of `program` on `input`, or its error. */
  run(program: string, input: unknown, timeoutMs: number): Promise<JqOutcome> {
    let text: string;
    try {
      text = JSON.stringify(input ?? null);
    } catch (err) {
      return Promise.reject(new Error(`the input is not JSON: ${(err as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ program, timeoutMs, input: text, resolve, reject });
      this.dispatch();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.unref();
    worker.on('message', (reply: JqWorkerReply) => {
      if (reply.ready) {
        this.workerReady = true;
        this.startClock();
      } else this.finish(reply);
    });
    worker.on('error', (err) => this.fail(worker, new Error(`jq worker failed: ${err.message}`)));
    worker.on('exit', () => this.fail(worker, new Error('jq worker stopped')));
    this.worker = worker;
    this.workerReady = false;
    return worker;
  }

  private dispatch(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const first = this.queue[0]!;
    const jobs: Job[] = [];
    let bytes = 0;
    this.queue = this.queue.filter((job) => {
      const fits = jobs.length < MAX_BATCH_INPUTS && (jobs.length === 0 || bytes + job.input.length <= MAX_BATCH_BYTES);
      if (!fits || job.program !== first.program || job.timeoutMs !== first.timeoutMs) return true;
      jobs.push(job);
      bytes += job.input.length;
      return false;
    });
    const worker = this.ensureWorker();
    const id = this.nextId++;
    this.inFlight = { id, jobs, timeoutMs: first.timeoutMs };
    this.startClock();
    worker.ref();
    const request: JqWorkerRequest = {
      id,
      input: `[${jobs.map((j) => j.input).join(',')}]`,
      program: batchProgram(first.program),
      flags: ['-c'],
    };
    worker.postMessage(request);
  }

  /** Times the batch in flight once jq is loaded; past its timeout the worker is terminated. */
  private startClock(): void {
    const batch = this.inFlight;
    const worker = this.worker;
    if (!batch || batch.timer || !this.workerReady || !worker) return;
    batch.timer = setTimeout(() => {
      this.inFlight = undefined;
      this.worker = undefined;
      for (const job of batch.jobs)
        job.reject(new JqTimeoutError(`the jq program did not finish within ${batch.timeoutMs} ms`));
      void worker.terminate();
      this.dispatch();
    }, batch.timeoutMs);
  }

  private finish(reply: JqWorkerReply): void {
    const batch = this.inFlight;
    if (!batch || batch.id !== reply.id) return;
    clearTimeout(batch.timer);
    this.inFlight = undefined;
    this.worker?.unref();
    try {
      const lines = reply.stdout === '' ? [] : reply.stdout.split('\n');
      const outcomes = parseBatch(lines, batch.jobs.length, reply.stderr);
      batch.jobs.forEach((job, i) => job.resolve(outcomes[i]!));
    } catch (err) {
      for (const job of batch.jobs)
        job.reject(new Error(`jq answered something unreadable: ${(err as Error).message}`));
    }
    this.dispatch();
  }

  /** The worker died (not by our timeout): fail what it was running, start afresh for the rest. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    const batch = this.inFlight;
    this.inFlight = undefined;
    if (batch) {
      clearTimeout(batch.timer);
      for (const job of batch.jobs) job.reject(err);
    }
    this.dispatch();
  }
}

/** One runner per process: jq's cost is per call, so every step.jq shares the batches. */
export const jqRunner = new JqRunner();
