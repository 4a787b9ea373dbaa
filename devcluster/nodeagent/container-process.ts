// One container as a supervised local process: spawn, readiness and liveness probes over HTTP or TCP,
// restart with exponential back-off (CrashLoopBackOff), and graceful stop (SIGTERM, then SIGKILL).
// The process leads a process group of its own, and signals go to the whole group, as a container
// runtime's go to every process of the container (and past PRoot, which does not forward them).
// It reports its state as a Kubernetes ContainerStatus through onChange.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { cpSync, createWriteStream, existsSync, mkdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type { CommandOptions, RunningCommand } from '../streams/remote-command.ts';
import { commandSucceeded } from '../streams/remote-command.ts';
import { CriLineEncoder, type LogStream } from '../logic/cri-log.ts';
import type { ContainerPlan, ResolvedProbe } from './container-plan.ts';
import { nowSeconds } from '../resources/object-meta.ts';

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: Record<string, unknown>;
  lastState: Record<string, unknown>;
}

export class ContainerProcess {
  private child?: ChildProcess;
  private stopped = false;
  private ready = false;
  private restartCount: number;
  private backoffMs: number;
  private runningSince?: number;
  private startedAt?: string;
  private waiting?: { reason: string; message?: string };
  private lastTerminated?: Record<string, unknown>;
  private timers = new Set<NodeJS.Timeout>();
  private log?: WriteStream;
  private readonly encoders = { stdout: new CriLineEncoder('stdout'), stderr: new CriLineEncoder('stderr') };
  /** pods/attach: live output of the running process, and its exits. */
  private readonly attached = new EventEmitter();
  private readinessStreak = { ok: 0, fail: 0 };
  private livenessFailures = 0;

  constructor(
    readonly name: string,
    private readonly image: string,
    private plan: ContainerPlan,
    /** logs/<container>: one CRI-format file per run, named by the restart count (0.log, 1.log, ...). */
    private readonly logDir: string,
    /** Where the running process's pid is recorded, so a later agent can reap it after a crash. */
    private readonly pidFile: string,
    private readonly backoff: RestartBackoff,
    private readonly graceMs: number,
    restartCount: number,
    private readonly onChange: () => void,
    /** Kubelet-style events about this container (Started, BackOff, Unhealthy, Killing). */
    private readonly onEvent: (type: 'Normal' | 'Warning', reason: string, message: string) => void = () => {},
  ) {
    this.restartCount = restartCount;
    this.backoffMs = backoff.initialMs;
    this.waiting = { reason: 'ContainerCreating' };
  }

  /**
   * The pod's restartPolicy: Always restarts every exit, OnFailure only a non-zero one, Never none.
   * A container that is not restarted stays terminated (a Job's pod completes).
   */
  restartPolicy: 'Always' | 'OnFailure' | 'Never' = 'Always';
  private terminated?: Record<string, unknown>;

  /** The plan the next (re)start uses: a changed ConfigMap or Secret changes env and subPath copies. */
  replan(plan: ContainerPlan): void {
    this.plan = plan;
  }

  /** The mounts' subPaths as the container sees them at this start (see MountStep). */
  private prepareMounts(): void {
    for (const step of this.plan.prepare) {
      if (step.kind === 'mkdir') {
        mkdirSync(step.path, { recursive: true });
        continue;
      }
      rmSync(step.to, { recursive: true, force: true });
      mkdirSync(dirname(step.to), { recursive: true });
      if (existsSync(step.from)) cpSync(step.from, step.to, { recursive: true, dereference: true });
      // a subPath the volume does not hold becomes an empty directory, as with a bind mount
      else mkdirSync(step.to, { recursive: true });
    }
  }

  start(): void {
    mkdirSync(this.logDir, { recursive: true });
    this.spawnProcess();
    this.scheduleProbes();
  }

  /** The final termination of a container its restart policy does not restart. */
  finished(): { exitCode: number } | undefined {
    return this.terminated as { exitCode: number } | undefined;
  }

  status(): ContainerStatus {
    const state: Record<string, unknown> = this.terminated
      ? { terminated: this.terminated }
      : this.child && this.startedAt
        ? { running: { startedAt: this.startedAt } }
        : { waiting: this.waiting ?? { reason: 'ContainerCreating' } };
    return {
      name: this.name,
      image: this.image,
      imageID: '',
      ...(this.child?.pid ? { containerID: `devcluster://${this.child.pid}` } : {}),
      ready: this.ready,
      started: this.child !== undefined,
      restartCount: this.restartCount,
      state,
      lastState: this.lastTerminated ? { terminated: this.lastTerminated } : {},
    };
  }

  isReady(): boolean {
    return this.ready;
  }

  /** SIGTERM, then SIGKILL after `graceMs` (the pod's deletion grace period, else its spec's). */
  async stop(graceMs = this.graceMs): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    await this.closeLog();
  }

  /** The log of the current run, or of the one before it (`kubectl logs --previous`). */
  logPath(previous: boolean): string | undefined {
    const run = this.restartCount - (previous ? 1 : 0);
    const file = join(this.logDir, `${run}.log`);
    return run >= 0 && existsSync(file) ? file : undefined;
  }

  /**
   * pods/attach: the running process's output from now on, and its stdin when the container asks
   * for one (`stdin: true`). Ends when the process exits; stop() detaches.
   */
  attach(options: CommandOptions): RunningCommand {
    const child = this.child;
    if (!child) throw new Error(`container ${this.name} is not running`);
    if (options.stdin && !child.stdin)
      throw new Error(`stdin is not enabled for container ${this.name}: set stdin: true in its spec to attach to it`);
    const stdout = new PassThrough();
    const stderr = options.tty ? stdout : new PassThrough();
    const onOutput = (stream: LogStream, chunk: Buffer) => (stream === 'stdout' ? stdout : stderr).write(chunk);
    let detach!: () => void;
    const exit = new Promise<ReturnType<typeof commandSucceeded>>((resolve) => {
      detach = () => {
        this.attached.off('output', onOutput);
        this.attached.off('exit', detach);
        stdout.end();
        if (stderr !== stdout) stderr.end();
        resolve(commandSucceeded());
      };
    });
    this.attached.on('output', onOutput);
    this.attached.once('exit', detach);
    const target = child.stdin;
    return {
      stdin: target
        ? new Writable({
            write: (chunk, _enc, done) => (target.writable ? target.write(chunk, () => done()) : done()),
          })
        : undefined,
      stdout: options.stdout ? stdout : undefined,
      stderr: options.stderr && !options.tty ? stderr : undefined,
      exit,
      stop: () => detach(),
    };
  }

  private output(stream: LogStream, chunk: Buffer): void {
    this.log?.write(this.encoders[stream].encode(chunk, Date.now()));
    this.attached.emit('output', stream, chunk);
  }

  private closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    if (!log) return Promise.resolve();
    const now = Date.now();
    log.write(this.encoders.stdout.flush(now) + this.encoders.stderr.flush(now));
    return new Promise<void>((resolve) => log.end(() => resolve()));
  }

  private spawnProcess(): void {
    if (this.stopped) return;
    void this.closeLog();
    // one log per run, like the kubelet's <restartCount>.log; only this run's and the previous are kept
    this.log = createWriteStream(join(this.logDir, `${this.restartCount}.log`), { flags: 'a' });
    rmSync(join(this.logDir, `${this.restartCount - 2}.log`), { force: true });
    let child: ChildProcess;
    try {
      this.prepareMounts();
      child = spawn(this.plan.command, this.plan.args, {
        cwd: this.plan.cwd,
        env: this.plan.env,
        stdio: [this.plan.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (e) {
      this.onExit(null, null, `failed to start ${this.plan.command}: ${(e as Error).message}`);
      return;
    }
    this.child = child;
    if (child.pid) writeFileSync(this.pidFile, `${child.pid}\n`);
    this.startedAt = nowSeconds();
    this.runningSince = Date.now();
    this.waiting = undefined;
    this.onEvent('Normal', 'Started', `Started container ${this.name}`);
    child.stdout!.on('data', (chunk: Buffer) => this.output('stdout', chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.output('stderr', chunk));
    child.stdin?.on('error', () => {});
    child.once('error', (err) => this.output('stderr', Buffer.from(`devcluster: ${err.message}\n`)));
    child.once('exit', (code, signal) => this.onExit(code, signal));
    this.onChange();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, message?: string): void {
    const finishedAt = nowSeconds();
    const termination = {
      exitCode: code ?? (signal ? 137 : 128),
      ...(signal ? { signal: signalNumber(signal) } : {}),
      reason: code === 0 ? 'Completed' : 'Error',
      ...(message ? { message } : {}),
      startedAt: this.startedAt ?? finishedAt,
      finishedAt,
      containerID: this.child?.pid ? `devcluster://${this.child.pid}` : undefined,
    };
    const restart =
      this.restartPolicy === 'Always' || (this.restartPolicy === 'OnFailure' && termination.exitCode !== 0);
    if (restart || this.stopped) this.lastTerminated = termination;
    else this.terminated = termination;
    this.child = undefined;
    this.startedAt = undefined;
    this.attached.emit('exit');
    this.setReady(false);
    if (this.stopped) return;
    if (!restart) {
      this.onChange();
      return;
    }
    // a process that ran for a minute starts over with the shortest back-off
    if (this.runningSince && Date.now() - this.runningSince > 60_000) this.backoffMs = this.backoff.initialMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.backoff.maxMs);
    this.restartCount++;
    this.waiting = {
      reason: 'CrashLoopBackOff',
      message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name}`,
    };
    this.onEvent('Warning', 'BackOff', `Back-off restarting failed container ${this.name}`);
    this.onChange();
    this.after(delay, () => this.spawnProcess());
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.onChange();
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private scheduleProbes(): void {
    const readiness = this.plan.readiness;
    if (readiness) {
      const tick = async () => {
        if (this.stopped) return;
        if (this.child) {
          const failure = await probe(readiness);
          const ok = failure === undefined;
          if (!ok && this.ready) this.onEvent('Warning', 'Unhealthy', `Readiness probe failed: ${failure}`);
          if (ok) {
            this.readinessStreak = { ok: this.readinessStreak.ok + 1, fail: 0 };
            if (this.readinessStreak.ok >= readiness.successThreshold) this.setReady(true);
          } else {
            this.readinessStreak = { ok: 0, fail: this.readinessStreak.fail + 1 };
            if (this.readinessStreak.fail >= readiness.failureThreshold || !this.ready) this.setReady(false);
          }
        }
        // poll quickly until first ready, then at the probe's period
        this.after(this.ready ? readiness.periodMs : Math.min(readiness.periodMs, 250), () => void tick());
      };
      this.after(readiness.initialDelayMs, () => void tick());
    } else {
      this.setReady(true);
    }
    const liveness = this.plan.liveness;
    if (liveness) {
      const tick = async () => {
        if (this.stopped) return;
        if (this.child) {
          const failure = await probe(liveness);
          this.livenessFailures = failure === undefined ? 0 : this.livenessFailures + 1;
          if (failure !== undefined) this.onEvent('Warning', 'Unhealthy', `Liveness probe failed: ${failure}`);
          // the container may have exited (or been stopped) while the probe ran: nothing left to restart
          const victim = this.child;
          if (victim && !this.stopped && this.livenessFailures >= liveness.failureThreshold) {
            this.livenessFailures = 0;
            this.onEvent('Normal', 'Killing', `Container ${this.name} failed liveness probe, will be restarted`);
            this.output(
              'stderr',
              Buffer.from(`devcluster: liveness probe failed ${liveness.failureThreshold} times; restarting\n`),
            );
            signalGroup(victim, 'SIGTERM');
            this.after(this.graceMs, () => signalGroup(victim, 'SIGKILL'));
          }
        }
        this.after(liveness.periodMs, () => void tick());
      };
      this.after(liveness.initialDelayMs + liveness.periodMs, () => void tick());
    }
  }
}

/** Signals the process group the container's process leads (it was spawned detached). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGSEGV: 11, SIGABRT: 6 } as Record<string, number>)[signal] ?? 0;
}

/**
 * One probe attempt — HTTP 200-399 within the timeout, or a TCP connect. Resolves to undefined on
 * success, else the failure as the kubelet words it.
 */
export function probe(p: ResolvedProbe): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (p.kind === 'tcp') {
      const socket = connect(p.port, '127.0.0.1');
      const done = (failure: string | undefined) => {
        socket.destroy();
        resolve(failure);
      };
      socket.setTimeout(p.timeoutMs, () => done(`dial tcp 127.0.0.1:${p.port}: i/o timeout`));
      socket.once('connect', () => done(undefined));
      socket.once('error', (e) => done(`dial tcp 127.0.0.1:${p.port}: ${e.message}`));
      return;
    }
    const url = `http://127.0.0.1:${p.port}${p.path}`;
    const req = request(
      {
        host: '127.0.0.1',
        port: p.port,
        path: p.path,
        method: 'GET',
        timeout: p.timeoutMs,
        headers: { 'User-Agent': 'kube-probe/1.32' },
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? undefined : `HTTP probe failed with statuscode: ${code}`);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)')),
    );
    req.on('error', (e) => resolve(`Get "${url}": ${e.message}`));
    req.end();
  });
}
