// actor.system: the runtime actor pools belong to. `shutdownTimeout` (30s): how long a stopping app
// waits for the messages still in its actors' mailboxes; `defaultRecovery`: accepted (see actor.pool).
import { defineCapability, type Module, type ModuleFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export interface ActorSystem {
  /** Milliseconds a stopping app waits for busy actors. */
  shutdownTimeout(): number;
}
export const ActorSystemCap = defineCapability<ActorSystem>('ActorSystem', 'shutdownTimeout');

export const actorSystemSchema: TypeSchema = {
  description: 'Actor runtime that actor pools belong to',
  configFields: [
    { key: 'shutdownTimeout', type: 'duration', default: '30s', description: 'how long stop waits for busy actors' },
    { key: 'defaultRecovery', type: 'map', description: 'recovery policy for pools without one (accepted)' },
  ],
};

export class ActorSystemModule implements Module, ActorSystem {
  readonly type = 'actor.system';
  private readonly shutdownTimeoutMs: number;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    this.shutdownTimeoutMs = new ConfigReader(config).duration('shutdownTimeout', 30_000)!;
  }

  shutdownTimeout(): number {
    return this.shutdownTimeoutMs;
  }
}

export const createActorSystem: ModuleFactory = (spec) => new ActorSystemModule(spec.name, spec.config);
