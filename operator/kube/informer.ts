// A list-watch cache that keeps itself alive. client-node's ListWatch resumes from the last
// resourceVersion and relists after 410 Gone, but on any other error (API server restart, network
// reset) it fires `error` and stops for good; this wrapper restarts it with backoff (1 s doubling
// to 30 s) and asks the server to end each watch after a few minutes, so a silently dead (half-open)
// connection cannot freeze the cache. It also indexes objects by controller owner uid.
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../../common/index.ts';
import { toKubeError } from './errors.ts';

export type InformerEvent = 'add' | 'update' | 'delete';

/**
 * managedFields (server-side apply bookkeeping) is often the biggest part of an object and the
 * operator never reads it; caches drop it, as controller-runtime's TransformStripManagedFields does.
 */
function dropManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj?.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

class TrimmingWatch extends Watch {
  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    // biome-ignore lint/suspicious/noExplicitAny: client-node's Watch.watch signature, overridden as it is
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    // biome-ignore lint/suspicious/noExplicitAny: as above
    done: (err: any) => void,
  ): Promise<AbortController> {
    return super.watch(path, queryParams, (phase, obj, raw) => callback(phase, dropManagedFields(obj), raw), done);
  }
}
export type InformerHandler<T> = (obj: T, event: InformerEvent) => void;

/**
 * kube-apiserver serves built-in list items without kind and apiVersion (watch events carry them).
 * Caches hold whole objects, as client-go's do after decoding, so each listed item gets its type back
 * from the list's own ("ConfigMapList" in v1 -> ConfigMap, v1): without it a controller restarted over
 * existing objects would not recognise what it manages (wrong diffs, prunes of "unknown kinds").
 */
export function typeListItems<T extends KubernetesObject>(list: KubernetesListObject<T>): void {
  const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -'List'.length) : undefined;
  for (const item of list.items) {
    if (!item.kind && kind) item.kind = kind;
    if (!item.apiVersion && list.apiVersion) item.apiVersion = list.apiVersion;
  }
}

export interface InformerOptions<T extends KubernetesObject> {
  /** For logs: "workflowapps", "deployments", ... */
  name: string;
  /** Collection path, e.g. /apis/apps/v1/namespaces/shop/deployments or /apis/apps/v1/deployments. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** Server-side watch timeout; the watch then resumes from its resourceVersion. */
  watchTimeoutSeconds?: number;
  logger?: Logger;
  clock?: Clock;
}

export class ResilientInformer<T extends KubernetesObject> {
  private readonly lw: ListWatch<T>;
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly byOwner = new Map<string, Map<string, T>>();
  private readonly ownerOf = new Map<string, string>();
  private readonly clock: Clock;
  private stopped = true;
  private listedOnce = false;
  private backoffMs = 1000;
  private restartTimer: unknown;
  /** Ends start()'s wait between list attempts (on stop). */
  private wake: (() => void) | undefined;
  /** Restarts after errors, and full lists after the first (410 Gone, a new server): for metrics and tests. */
  restarts = 0;
  relists = 0;
  lastError: Error | undefined;
  private markSynced!: () => void;
  /** Resolves once the cache holds a full list (for a second controller sharing this informer). */
  readonly hasSynced: Promise<void> = new Promise((resolve) => {
    this.markSynced = resolve;
  });

  constructor(
    kc: KubeConfig,
    private readonly opts: InformerOptions<T>,
  ) {
    this.clock = opts.clock ?? systemClock;
    const timeout = opts.watchTimeoutSeconds ?? 300;
    // ListWatch adds its own query parameters to the path's URL; ours ride along.
    const watchPath = `${opts.path}?timeoutSeconds=${timeout}&allowWatchBookmarks=true`;
    const list = async () => {
      const result = await opts.list();
      for (const item of result.items) dropManagedFields(item);
      typeListItems(result);
      if (this.listedOnce) this.relists++;
      this.listedOnce = true;
      this.markSynced();
      this.backoffMs = 1000;
      return result;
    };
    this.lw = new ListWatch<T>(watchPath, new TrimmingWatch(kc), list, false, opts.labelSelector);
    this.lw.on('add', (o) => this.emit(o, 'add'));
    this.lw.on('update', (o) => this.emit(o, 'update'));
    this.lw.on('delete', (o) => this.emit(o, 'delete'));
    this.lw.on('error', (err) => this.onError(err));
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  /** Lists, starts watching, and resolves once the cache holds a full list (retrying until then). */
  async start(): Promise<void> {
    this.stopped = false;
    while (!this.stopped) {
      await this.lw.start();
      if (this.listedOnce) return;
      await new Promise<void>((r) => {
        const timer = this.clock.setTimeout(() => r(), this.nextBackoff());
        this.wake = () => {
          this.clock.clearTimeout(timer);
          r();
        };
      });
      this.wake = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    if (this.restartTimer !== undefined) this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.lw.stop();
  }

  get synced(): boolean {
    return this.listedOnce;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw.get(name, namespace);
  }

  list(namespace?: string): ReadonlyArray<T> {
    return this.lw.list(namespace);
  }

  /** Objects whose controller ownerReference points at `uid`. */
  ownedBy(uid: string): T[] {
    return [...(this.byOwner.get(uid)?.values() ?? [])];
  }

  private emit(obj: T, event: InformerEvent): void {
    this.backoffMs = 1000; // events flow again: the next failure starts its backoff afresh
    this.index(obj, event);
    for (const h of this.handlers) h(obj, event);
  }

  private index(obj: T, event: InformerEvent): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const previous = this.ownerOf.get(key);
    if (previous !== undefined) {
      const objs = this.byOwner.get(previous);
      if (objs?.delete(key) && objs.size === 0) this.byOwner.delete(previous);
      this.ownerOf.delete(key);
    }
    if (event === 'delete') return;
    const owner = obj.metadata?.ownerReferences?.find((r) => r.controller);
    if (!owner) return;
    let objs = this.byOwner.get(owner.uid);
    if (!objs) this.byOwner.set(owner.uid, (objs = new Map()));
    objs.set(key, obj);
    this.ownerOf.set(key, owner.uid);
  }

  private onError(err: unknown): void {
    if (this.stopped) return; // stop() aborts the watch, which reports an AbortError
    this.lastError = toKubeError(`watch ${this.opts.name}`, err) as Error;
    if (!this.listedOnce) return; // start() is still retrying the first list itself
    const delay = this.nextBackoff();
    this.opts.logger?.warn(
      { informer: this.opts.name, err: this.lastError.message, retryInMs: delay },
      'watch failed; restarting',
    );
    if (this.restartTimer !== undefined) return;
    this.restartTimer = this.clock.setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.restarts++;
      void this.lw.start();
    }, delay);
  }

  private nextBackoff(): number {
    const d = this.backoffMs;
    this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    return d;
  }
}
