// featureflag.service (provider "generic"): flags from config, optionally kept in a SQLite store so
// changes made at run time (PUT through its HTTP handler) survive a restart. Routed to, it serves
// GET /{flag}?user=&groups= (evaluation), GET (all flags), PUT /{flag}, DELETE /{flag}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  defineCapability,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { SqliteDatabase } from '../storage/index.ts';
import { ConfigReader, readJson, requestPath, resolveFrom, writeJson } from '../support/index.ts';
import {
  evaluateFlag,
  parseFlag,
  type EvaluationContext,
  type FlagDefinition,
  type FlagResult,
} from './flag-evaluation.ts';

export interface FeatureFlagService {
  evaluate(flag: string, ctx: EvaluationContext, fallback?: unknown): FlagResult;
  setFlag(flag: string, raw: unknown): FlagDefinition;
}
export const FeatureFlagServiceCap = defineCapability<FeatureFlagService>('FeatureFlagService', 'evaluate', 'setFlag');

export const featureFlagServiceSchema: TypeSchema = {
  description: 'Feature flag service (generic provider): targeting by user and group, percentage rollouts',
  configFields: [
    { key: 'provider', type: 'select', options: ['generic'], default: 'generic' },
    {
      key: 'flags',
      type: 'map',
      description: 'name -> true|false|value|{enabled, value, default, users, groups, percentage}',
    },
    {
      key: 'store_path',
      type: 'filepath',
      aliases: ['db_path'],
      description: 'SQLite file keeping flag changes (relative to the app data dir); in memory when unset',
    },
    {
      key: 'cache_ttl',
      type: 'duration',
      default: '30s',
      description: 'Accepted for compatibility; evaluation is local and uncached',
    },
    { key: 'sse_enabled', type: 'boolean', description: 'Accepted for compatibility; no SSE stream in this build' },
  ],
};

export class FeatureFlagModule implements Module, FeatureFlagService, HttpHandler {
  readonly type = 'featureflag.service';
  private readonly flags = new Map<string, FlagDefinition>();
  private readonly configured: Array<[string, unknown]>;
  private readonly storePath?: string;
  private store?: SqliteDatabase;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    const provider = c.string('provider') || 'generic';
    if (provider !== 'generic') {
      throw new ConfigValueError(`feature flag provider "${provider}" is not available in this build`, {
        path: ['provider'],
        hint: 'use provider: generic',
      });
    }
    this.configured = Object.entries(c.map('flags') ?? {});
    for (const [flag, raw] of this.configured) {
      try {
        this.flags.set(flag, parseFlag(raw, `flag "${flag}"`));
      } catch (err) {
        throw new ConfigValueError((err as Error).message, { path: ['flags', flag] });
      }
    }
    this.storePath = c.string(['store_path', 'db_path']) || undefined;
  }

  init(app: AppContext): void {
    if (!this.storePath) return;
    this.store = new SqliteDatabase(resolveFrom(app.dataDir, this.storePath));
    this.store.execScript(
      'CREATE TABLE IF NOT EXISTS feature_flags (name TEXT PRIMARY KEY, definition TEXT NOT NULL, updated_at ' +
        'TEXT NOT NULL)',
    );
    const stored = new Map(
      this.store.query('SELECT name, definition FROM feature_flags').map((r) => [String(r.name), String(r.definition)]),
    );
    // Config gives the starting values; what was changed at run time (the store) wins.
    for (const [flag, raw] of this.configured) if (!stored.has(flag)) this.persist(flag, raw);
    for (const [flag, json] of stored) this.flags.set(flag, parseFlag(JSON.parse(json), `stored flag "${flag}"`));
  }

  stop(): void {
    this.store?.close();
  }

  evaluate(flag: string, ctx: EvaluationContext, fallback?: unknown): FlagResult {
    return evaluateFlag(flag, this.flags.get(flag), ctx, fallback);
  }

  setFlag(flag: string, raw: unknown): FlagDefinition {
    const def = parseFlag(raw, `flag "${flag}"`);
    this.persist(flag, raw);
    this.flags.set(flag, def);
    return def;
  }

  deleteFlag(flag: string): boolean {
    this.store?.exec('DELETE FROM feature_flags WHERE name = ?', [flag]);
    return this.flags.delete(flag);
  }

  list(): Record<string, FlagDefinition> {
    return Object.fromEntries(this.flags);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    const flag = params.flag ?? params.key ?? params.name;
    const method = req.method ?? 'GET';
    if (!flag) {
      if (method === 'GET') return writeJson(res, 200, { flags: this.list() });
      return writeJson(res, 405, { error: 'use GET for the list; PUT and DELETE need /{flag}' });
    }
    if (method === 'GET') {
      const query = new URL(req.url ?? requestPath(req), 'http://x').searchParams;
      const groups = query.get('groups')?.split(',').filter(Boolean);
      return writeJson(res, 200, { flag, ...this.evaluate(flag, { userKey: query.get('user') ?? undefined, groups }) });
    }
    if (method === 'PUT') {
      const body = await readJson(req);
      if (!body.ok) return writeJson(res, body.status, { error: body.error });
      try {
        return writeJson(res, 200, { flag, definition: this.setFlag(flag, body.value) });
      } catch (err) {
        return writeJson(res, 400, { error: (err as Error).message });
      }
    }
    if (method === 'DELETE') {
      if (!this.deleteFlag(flag)) return writeJson(res, 404, { error: `flag "${flag}" not found` });
      res.writeHead(204).end();
      return;
    }
    writeJson(res, 405, { error: `method ${method} not allowed` });
  }

  private persist(flag: string, raw: unknown): void {
    this.store?.exec(
      'INSERT INTO feature_flags (name, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE ' +
        'SET definition = excluded.definition, updated_at = excluded.updated_at',
      [flag, JSON.stringify(raw ?? null), new Date().toISOString()],
    );
  }
}

export function createFeatureFlagModule(spec: ModuleSpec): FeatureFlagModule {
  return new FeatureFlagModule(spec.name, spec.config);
}
