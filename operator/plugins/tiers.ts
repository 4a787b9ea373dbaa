// Plugin tiers (core, community, premium) as the registry publishes them, held in memory and
// refreshed in the background, so admission reads a tier without a network call. Until the first
// answer the tiers are unknown, and admission refuses apps that add plugins (fail closed).
import type { Logger } from 'pino';
import { RegistryClient } from '../../registry-index/index.ts';

export interface PluginTierSource {
  /** The plugin's tier, or undefined when the registry does not know it. */
  tier(name: string): string | undefined;
  /**
   * True while a plugin the public index does not list (a private one) is being looked up in the
   * background: its tier is not known yet, so admission asks to retry rather than guess.
   */
  pending?(name: string): boolean;
  /** False until the registry answered once (then tiers are known, even if stale). */
  readonly known: boolean;
  /** Why the tiers are not known, while they are not. */
  readonly problem?: string;
}

/** Without a registry nothing is resolvable anyway: no plugin has a tier, and that is known. */
export const noRegistryTiers: PluginTierSource = { tier: () => undefined, known: true };

export class RegistryPluginTiers implements PluginTierSource {
  private tiers = new Map<string, string>();
  /** Plugins outside the public index, looked up one by one: tier, or null when the registry has none. */
  private readonly unlisted = new Map<string, string | null | Promise<void>>();
  private loaded = false;
  private timer?: NodeJS.Timeout;
  problem?: string;

  constructor(
    private readonly client: RegistryClient,
    private readonly opts: { refreshMs?: number; logger?: Logger } = {},
  ) {}

  static forUrl(url: string, opts: { token?: string; refreshMs?: number; logger?: Logger } = {}): RegistryPluginTiers {
    return new RegistryPluginTiers(new RegistryClient({ baseUrl: url, token: opts.token, timeoutMs: 10_000 }), opts);
  }

  get known(): boolean {
    return this.loaded;
  }

  tier(name: string): string | undefined {
    const listed = this.tiers.get(name);
    if (listed !== undefined) return listed;
    const looked = this.unlisted.get(name);
    return typeof looked === 'string' ? looked : undefined;
  }

  pending(name: string): boolean {
    if (!this.loaded || this.tiers.has(name)) return false;
    const looked = this.unlisted.get(name);
    if (looked === undefined) {
      const lookup = this.client
        .plugin(name)
        .then((doc) => void this.unlisted.set(name, doc.summary?.tier ?? null))
        .catch((err: { status?: number; message: string }) => {
          if (err.status === 404) this.unlisted.set(name, null);
          else this.unlisted.delete(name); // unreachable: ask again next time
        });
      this.unlisted.set(name, lookup);
      return true;
    }
    return looked instanceof Promise;
  }

  /** First load (a failure is retried by the schedule), then a refresh every refreshMs (default 60 s). */
  async start(): Promise<void> {
    await this.refresh();
    if (!this.timer) {
      this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs ?? 60_000);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    try {
      const next = new Map<string, string>();
      const perPage = 100;
      for (let page = 1; ; page++) {
        const { total, items } = await this.client.search('', { page, perPage });
        for (const item of items) next.set(item.name, item.tier);
        if (items.length < perPage || page * perPage >= total) break;
      }
      this.tiers = next;
      this.unlisted.clear();
      this.loaded = true;
      this.problem = undefined;
    } catch (err) {
      this.problem = (err as Error).message;
      this.opts.logger?.warn(
        { err: this.problem },
        'could not read plugin tiers from the registry; keeping the last ones',
      );
    }
  }
}
