// nosql.memory: an in-process key -> document store (the NoSQL store the nosql_* steps talk to).
// Documents are copied in and out, so a caller mutating a result cannot change the store.
import { defineCapability, type ConfigMap, type Module, type ModuleSpec, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader } from '../support/index.ts';

/** A key -> document store (nosql.memory, nosql.redis); methods may answer directly or with a promise. */
export interface NoSqlStore {
  get(key: string): ConfigMap | undefined | Promise<ConfigMap | undefined>;
  put(key: string, item: ConfigMap): void | Promise<void>;
  delete(key: string): boolean | Promise<boolean>;
  /** Documents in key order; `prefix` keeps keys that start with it. */
  query(params?: { prefix?: string }): ConfigMap[] | Promise<ConfigMap[]>;
}
export const NoSqlStoreCap = defineCapability<NoSqlStore>('NoSqlStore', 'get', 'put', 'delete', 'query');

export const memoryNoSqlSchema: TypeSchema = {
  description: 'In-memory NoSQL key/document store',
  configFields: [{ key: 'collection', type: 'string', description: 'Collection name (informational)' }],
};

export class MemoryNoSql implements Module, NoSqlStore {
  readonly type = 'nosql.memory';
  readonly collection: string;
  private readonly items = new Map<string, ConfigMap>();

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.collection = new ConfigReader(config).string('collection') || name;
  }

  get(key: string): ConfigMap | undefined {
    const item = this.items.get(key);
    return item && structuredClone(item);
  }

  put(key: string, item: ConfigMap): void {
    this.items.set(key, structuredClone(item));
  }

  delete(key: string): boolean {
    return this.items.delete(key);
  }

  query(params: { prefix?: string } = {}): ConfigMap[] {
    return [...this.items.keys()]
      .filter((k) => !params.prefix || k.startsWith(params.prefix))
      .sort()
      .map((k) => structuredClone(this.items.get(k)!));
  }
}

export function createMemoryNoSql(spec: ModuleSpec): MemoryNoSql {
  return new MemoryNoSql(spec.name, spec.config);
}
