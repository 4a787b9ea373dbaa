// actor.pool: a group of actors sharing handlers (`workflows.actors.pools.<name>.receive`).
// `system`* (an actor.system module), `mode`:
// - auto-managed (default): one actor per identity, created on its first message and passivated
//   (state dropped, as upstream's grains) after `idleTimeout` (10m) without messages;
// - permanent: `poolSize` (10) actors "<pool>-0".."<pool>-N-1", chosen per message by `routing`:
//   round-robin (default), random, broadcast (send only) or sticky (`routingKey`*: the payload field
//   whose value always picks the same actor).
// `recovery` is accepted for upstream configs: a failed message fails its ask and leaves the actor's
// state untouched, so there is nothing to restart.
import {
  ConfigValueError,
  defineCapability,
  type AppContext,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';
import { Actor, type ActorMessage } from './actor.ts';
import { ActorSystemCap } from './actor-system.ts';

const MODES = ['auto-managed', 'permanent'] as const;
const ROUTINGS = ['round-robin', 'random', 'broadcast', 'sticky'] as const;
type Mode = (typeof MODES)[number];
type Routing = (typeof ROUTINGS)[number];

export interface ActorPool {
  readonly mode: Mode;
  readonly routing: Routing;
  /** The actors a message goes to: one (by identity or routing), or all for broadcast. */
  select(identity: string, msg: ActorMessage): Actor[];
}
export const ActorPoolCap = defineCapability<ActorPool>('ActorPool', 'select');

export const actorPoolSchema: TypeSchema = {
  description: 'Pool of stateful actors whose message handlers are step pipelines',
  configFields: [
    { key: 'system', type: 'string', required: true, description: 'actor.system module' },
    { key: 'mode', type: 'select', options: [...MODES], default: 'auto-managed' },
    { key: 'idleTimeout', type: 'duration', default: '10m', description: 'auto-managed: passivate after' },
    { key: 'poolSize', type: 'number', default: 10, description: 'permanent: number of actors' },
    { key: 'routing', type: 'select', options: [...ROUTINGS], default: 'round-robin' },
    { key: 'routingKey', type: 'string', description: 'sticky: payload field that picks the actor' },
    { key: 'recovery', type: 'map', description: 'failure policy (accepted)' },
  ],
};

/** FNV-1a 32-bit, as upstream's sticky routing hashes the key. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

export class ActorPoolModule implements Module, ActorPool {
  readonly type = 'actor.pool';
  readonly mode: Mode;
  readonly routing: Routing;
  private readonly systemName: string;
  private readonly idleTimeoutMs: number;
  private readonly poolSize: number;
  private readonly routingKey?: string;
  private app?: AppContext;
  private shutdownTimeoutMs = 30_000;
  private permanent: Actor[] = [];
  private readonly byIdentity = new Map<string, { actor: Actor; idle?: NodeJS.Timeout }>();
  private next = 0;
  private closed = false;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    const cfg = new ConfigReader(config);
    this.systemName = cfg.requiredString('system', 'system: actors');
    this.mode = (cfg.string('mode') || 'auto-managed') as Mode;
    this.routing = (cfg.string('routing') || 'round-robin') as Routing;
    this.idleTimeoutMs = cfg.duration('idleTimeout', 600_000)!;
    this.poolSize = Math.floor(cfg.number('poolSize', 10)!);
    if (this.poolSize < 1) throw new ConfigValueError('"poolSize" must be at least 1', { path: ['poolSize'] });
    this.routingKey = cfg.string('routingKey');
    if (this.routing === 'sticky' && !this.routingKey)
      throw new ConfigValueError('"routingKey" is required when routing is sticky', {
        path: ['routingKey'],
        hint: 'routingKey: order_id',
      });
  }

  init(app: AppContext): void {
    this.app = app;
    const system = app.services.get(this.systemName);
    if (!ActorSystemCap.is(system))
      throw new Error(`actor.pool "${this.name}": "${this.systemName}" is not an actor.system module of this app`);
    this.shutdownTimeoutMs = system.shutdownTimeout();
  }

  start(app: AppContext): void {
    if (this.mode === 'permanent')
      this.permanent = Array.from(
        { length: this.poolSize },
        (_, i) => new Actor(this.name, `${this.name}-${i}`, app.workflows),
      );
  }

  select(identity: string, msg: ActorMessage): Actor[] {
    if (this.closed || !this.app) throw new Error(`actor pool "${this.name}" is not running`);
    if (this.mode === 'auto-managed') {
      if (!identity) throw new Error(`"identity" is required for auto-managed pool "${this.name}"`);
      return [this.touch(identity)];
    }
    const actors = this.permanent;
    switch (this.routing) {
      case 'broadcast':
        return actors;
      case 'random':
        return [actors[Math.floor(Math.random() * actors.length)]!];
      case 'sticky': {
        const key = msg.payload[this.routingKey!];
        return [actors[fnv1a(key === undefined || key === null ? '' : String(key)) % actors.length]!];
      }
      default:
        return [actors[this.next++ % actors.length]!];
    }
  }

  /** The actor of `identity` (activated if needed), its idle timer restarted. */
  private touch(identity: string): Actor {
    let entry = this.byIdentity.get(identity);
    if (!entry) {
      entry = { actor: new Actor(this.name, identity, this.app!.workflows) };
      this.byIdentity.set(identity, entry);
    }
    if (entry.idle) clearTimeout(entry.idle);
    const current = entry;
    const passivate = () => {
      // a busy actor is never passivated: check again after another idle period
      if (current.actor.busy) current.idle = setTimeout(passivate, this.idleTimeoutMs).unref();
      else if (this.byIdentity.get(identity) === current) this.byIdentity.delete(identity);
    };
    entry.idle = setTimeout(passivate, this.idleTimeoutMs).unref();
    return entry.actor;
  }

  /** Identities of the active actors (auto-managed) or the pool's actors (permanent). */
  actors(): string[] {
    return this.mode === 'permanent' ? this.permanent.map((a) => a.identity) : [...this.byIdentity.keys()];
  }

  /** Refuses new messages and waits (up to the system's shutdownTimeout) for the queued ones. */
  async drain(_app: AppContext, deadlineMs: number): Promise<void> {
    this.closed = true;
    const actors = [...this.permanent, ...[...this.byIdentity.values()].map((e) => e.actor)];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(actors.map((a) => a.idle())),
      new Promise((resolve) => {
        timer = setTimeout(resolve, Math.min(deadlineMs, this.shutdownTimeoutMs));
      }),
    ]);
    clearTimeout(timer);
  }

  stop(): void {
    this.closed = true;
    for (const entry of this.byIdentity.values()) if (entry.idle) clearTimeout(entry.idle);
    this.byIdentity.clear();
    this.permanent = [];
  }
}

export const createActorPool: ModuleFactory = (spec) => new ActorPoolModule(spec.name, spec.config);
