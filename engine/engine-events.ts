// The app's event bus (upstream EventBus topics such as `workflow.<type>.completed`).
import { EventEmitter } from 'node:events';
import type { ConfigMap, EngineEvents } from './contract.ts';

export class AppEvents implements EngineEvents {
  private readonly emitter = new EventEmitter();
  private readonly onListenerError: (event: string, err: unknown) => void;

  constructor(onListenerError: (event: string, err: unknown) => void) {
    this.emitter.setMaxListeners(0);
    this.onListenerError = onListenerError;
  }

  on(event: string, listener: (payload: ConfigMap) => void): void {
    this.emitter.on(event, listener);
  }

  off(event: string, listener: (payload: ConfigMap) => void): void {
    this.emitter.off(event, listener);
  }

  /** A throwing listener is reported, never propagated into the code that emitted. */
  emit(event: string, payload: ConfigMap): void {
    for (const listener of this.emitter.listeners(event) as Array<(p: ConfigMap) => void>) {
      try {
        listener(payload);
      } catch (err) {
        this.onListenerError(event, err);
      }
    }
  }

  /** Cheap check so hot paths only build payloads someone listens to. */
  has(event: string): boolean {
    return this.emitter.listenerCount(event) > 0;
  }

  removeAll(): void {
    this.emitter.removeAllListeners();
  }
}
