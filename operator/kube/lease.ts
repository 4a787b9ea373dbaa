// Leader election with a coordination.k8s.io/v1 Lease, after client-go's leaderelection: acquire
// when the holder has not renewed for leaseDuration (measured on *our* clock from when we last saw
// the record change, so clock skew between replicas does not matter), renew every retryPeriod,
// give up leadership when renewals fail for renewDeadline, release on shutdown so a standby takes
// over at once. Writes are resourceVersion-guarded: of two racing candidates one gets 409.
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../common/index.ts';
import type { KubeClient } from './client.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';

export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** controller-runtime's defaults (KUBERNETES.md 2): 15 s / 10 s / 2 s. */
export const defaultLeaseTimings: LeaseTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

export type LeaseAction = 'create' | 'renew' | 'takeover' | 'wait';

/**
 * What a candidate should do with the lease it just read. `observedAt` is when this candidate first
 * saw the current holder/renewTime pair, on its own clock.
 */
export function decideLease(
  lease: V1Lease | undefined,
  identity: string,
  observedAt: number,
  now: number,
): LeaseAction {
  if (!lease) return 'create';
  const holder = lease.spec?.holderIdentity;
  if (holder === identity) return 'renew';
  if (!holder) return 'takeover';
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
  return observedAt + durationMs <= now ? 'takeover' : 'wait';
}

/** MicroTime as the API server parses it: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** client-node hands MicroTime back as a Date, and would send it with millisecond precision. */
function asMicroTime(value: unknown, fallback: number): string {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return microTime(Number.isNaN(ms) ? fallback : ms);
}

export interface LeaderElectorOptions extends Partial<LeaseTimings> {
  namespace: string;
  name: string;
  identity: string;
  onStartedLeading: () => void;
  /** May return a promise: on shutdown the lease is released only after it settles. */
  onStoppedLeading: () => void | Promise<void>;
  clock?: Clock;
  logger?: Logger;
}

export class LeaderElector {
  private readonly t: LeaseTimings;
  private readonly clock: Clock;
  private leader = false;
  private stopped = true;
  private timer: unknown;
  private lastRenew = 0;
  private observed: { key: string; at: number } | undefined;
  private tick: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectorOptions,
  ) {
    this.t = {
      ...defaultLeaseTimings,
      ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in defaultLeaseTimings && v !== undefined)),
    };
    this.clock = opts.clock ?? systemClock;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops campaigning; a leader releases the lease so another replica can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await this.tick;
    if (this.leader) {
      // Stop acting first, then let go: a standby must never act while we still do.
      await this.setLeader(false);
      await this.release().catch((err: Error) =>
        this.opts.logger?.warn({ err: err.message }, 'could not release lease'),
      );
    }
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.tick = this.attempt().finally(() => {
        if (!this.stopped) this.schedule(this.t.retryPeriodMs);
      });
    }, ms);
  }

  private async attempt(): Promise<void> {
    const now = this.clock.now();
    try {
      const ok = await this.tryAcquireOrRenew(now);
      if (this.stopped) return;
      if (ok) {
        this.lastRenew = now;
        if (!this.leader) await this.setLeader(true);
      } else if (this.leader) {
        await this.setLeader(false);
      }
    } catch (err) {
      this.opts.logger?.warn({ err: (err as Error).message, lease: this.opts.name }, 'lease update failed');
      if (this.leader && this.clock.now() - this.lastRenew > this.t.renewDeadlineMs) await this.setLeader(false);
    }
  }

  private async setLeader(leader: boolean): Promise<void> {
    if (this.leader === leader) return;
    this.leader = leader;
    this.opts.logger?.info(
      { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity },
      leader ? 'became leader' : 'stopped leading',
    );
    if (leader) this.opts.onStartedLeading();
    else await this.opts.onStoppedLeading();
  }

  private async read(): Promise<V1Lease | undefined> {
    const { namespace, name } = this.opts;
    try {
      return await this.client.call(`get lease ${namespace}/${name}`, () =>
        this.client.coordination.readNamespacedLease({ namespace, name }),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** True when we hold the lease after this attempt. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const lease = await this.read();
    const key = `${lease?.spec?.holderIdentity ?? ''}|${String(lease?.spec?.renewTime ?? '')}`;
    if (!this.observed || this.observed.key !== key) this.observed = { key, at: now };
    const action = decideLease(lease, identity, this.observed.at, now);
    if (action === 'wait') return false;
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.t.leaseDurationMs / 1000),
      renewTime: microTime(now),
      acquireTime: action === 'renew' ? asMicroTime(lease?.spec?.acquireTime, now) : microTime(now),
      leaseTransitions: (lease?.spec?.leaseTransitions ?? 0) + (action === 'takeover' ? 1 : 0),
    } as unknown as V1Lease['spec'];
    try {
      if (action === 'create') {
        await this.client.call(`create lease ${namespace}/${name}`, () =>
          this.client.coordination.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec } }),
        );
        this.client.wrote('create', 'Lease');
      } else {
        await this.client.call(`update lease ${namespace}/${name}`, () =>
          this.client.coordination.replaceNamespacedLease({
            namespace,
            name,
            body: { metadata: { name, namespace, resourceVersion: lease!.metadata?.resourceVersion }, spec },
          }),
        );
        this.client.wrote('update', 'Lease');
      }
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return false; // another candidate won this round
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { namespace, name } = this.opts;
    const lease = await this.read();
    if (lease?.spec?.holderIdentity !== this.opts.identity) return;
    await this.client.call(`release lease ${namespace}/${name}`, () =>
      this.client.coordination.replaceNamespacedLease({
        namespace,
        name,
        body: {
          metadata: { name, namespace, resourceVersion: lease.metadata?.resourceVersion },
          spec: {
            leaseDurationSeconds: 1,
            renewTime: microTime(this.clock.now()),
            acquireTime: asMicroTime(lease.spec?.acquireTime, this.clock.now()),
            leaseTransitions: lease.spec?.leaseTransitions,
          } as unknown as V1Lease['spec'],
        },
      }),
    );
    this.client.wrote('update', 'Lease');
  }
}
