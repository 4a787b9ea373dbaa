// cache.modular: an in-memory key/value cache with per-entry TTL and a size bound (least recently
// used entries go first), the TS stand-in for the modular framework's cache module.
import { ConfigValueError, type ConfigMap, type Module, type ModuleSpec, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

export const memoryCacheSchema: TypeSchema = {
  description: 'In-memory TTL cache (LRU bounded)',
  configFields: [
    {
      key: 'backend',
      type: 'select',
      options: ['memory'],
      default: 'memory',
      description: 'Only memory is available in this build',
    },
    {
      key: 'maxSize',
      type: 'number',
      default: 10000,
      aliases: ['maxItems'],
      description: 'Maximum entries (0 = unbounded)',
    },
    {
      key: 'defaultTTL',
      type: 'duration',
      default: '5m',
      aliases: ['ttl'],
      description: 'Lifetime of an entry set without a TTL (0 = no expiry)',
    },
    { key: 'cleanupInterval', type: 'duration', default: '1m', description: 'How often expired entries are swept' },
  ],
};

interface Entry {
  value: unknown;
  expiresAt: number;
}

export class MemoryCache implements Module {
  readonly type = 'cache.modular';
  private readonly entries = new Map<string, Entry>();
  private readonly maxSize: number;
  private readonly defaultTtlMs: number;
  private readonly cleanupMs: number;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    config: ConfigMap,
    private readonly now: () => number = Date.now,
  ) {
    const c = new ConfigReader(config);
    const backend = c.string('backend', 'memory');
    if (backend !== 'memory') {
      throw new ConfigValueError(`cache backend "${backend}" is not available in this build`, {
        path: ['backend'],
        hint: 'use backend: memory',
      });
    }
    this.maxSize = Math.max(0, Math.floor(c.number(['maxSize', 'maxItems'], 10000)!));
    this.defaultTtlMs = c.duration(['defaultTTL', 'ttl'], 300_000)!;
    this.cleanupMs = c.duration('cleanupInterval', 60_000)!;
  }

  start(): void {
    if (this.cleanupMs > 0) {
      this.timer = setInterval(() => this.sweep(), this.cleanupMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get<T = unknown>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.expired(entry)) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert to mark as most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value as T;
  }

  set(key: string, value: unknown, ttlMs = this.defaultTtlMs): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: ttlMs > 0 ? this.now() + ttlMs : Infinity });
    while (this.maxSize > 0 && this.entries.size > this.maxSize) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private expired(entry: Entry): boolean {
    return entry.expiresAt <= this.now();
  }

  private sweep(): void {
    for (const [key, entry] of this.entries) if (this.expired(entry)) this.entries.delete(key);
  }
}

export function createMemoryCache(spec: ModuleSpec): MemoryCache {
  return new MemoryCache(spec.name, spec.config);
}
