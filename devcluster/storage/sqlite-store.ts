// Persistence in SQLite (better-sqlite3), in the spirit of k3s's kine: one row per live object and one
// global, monotonically increasing resourceVersion sequence bumped by every write. Writes are
// synchronous transactions, so commit order is resourceVersion order is watch order.
import Database from 'better-sqlite3';

export interface StoredObject {
  rv: number;
  /** The object as stored (storage version), metadata.resourceVersion already set. */
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
}

export interface StoreKey {
  storageKey: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export class SqliteStore {
  private readonly db: Database.Database;
  private rv: number;
  private readonly stmt: {
    get: Database.Statement;
    listAll: Database.Statement;
    listNamespace: Database.Statement;
    listAllKeys: Database.Statement;
    upsert: Database.Statement;
    remove: Database.Statement;
    saveRv: Database.Statement;
    count: Database.Statement;
  };

  /** `path` ':memory:' gives a throwaway store (tests, benchmarks). */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        storage_key TEXT NOT NULL,
        namespace   TEXT NOT NULL,
        name        TEXT NOT NULL,
        rv          INTEGER NOT NULL,
        data        TEXT NOT NULL,
        PRIMARY KEY (storage_key, namespace, name)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sequence (id INTEGER PRIMARY KEY CHECK (id = 1), rv INTEGER NOT NULL);
      INSERT OR IGNORE INTO sequence (id, rv) VALUES (1, 1);
    `);
    this.rv = (this.db.prepare('SELECT rv FROM sequence WHERE id = 1').get() as { rv: number }).rv;
    this.stmt = {
      get: this.db.prepare('SELECT rv, data FROM objects WHERE storage_key = ? AND namespace = ? AND name = ?'),
      listAll: this.db.prepare('SELECT rv, data FROM objects WHERE storage_key = ? ORDER BY namespace, name'),
      listNamespace: this.db.prepare('SELECT rv, data FROM objects WHERE storage_key = ? AND namespace = ? ORDER BY name'),
      listAllKeys: this.db.prepare('SELECT storage_key, rv, data FROM objects'),
      upsert: this.db.prepare('INSERT INTO objects (storage_key, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (storage_key, namespace, name) DO UPDATE SET rv = excluded.rv, data = excluded.data'),
      remove: this.db.prepare('DELETE FROM objects WHERE storage_key = ? AND namespace = ? AND name = ?'),
      saveRv: this.db.prepare('UPDATE sequence SET rv = ? WHERE id = 1'),
      count: this.db.prepare('SELECT COUNT(*) AS n FROM objects WHERE storage_key = ?'),
    };
  }

  /** The resourceVersion of the latest write. */
  currentRv(): number {
    return this.rv;
  }

  get(key: StoreKey): StoredObject | undefined {
    const row = this.stmt.get.get(key.storageKey, key.namespace, key.name) as { rv: number; data: string } | undefined;
    return row ? { rv: row.rv, object: JSON.parse(row.data) } : undefined;
  }

  list(storageKey: string, namespace?: string): StoredObject[] {
    const rows = (namespace === undefined ? this.stmt.listAll.all(storageKey) : this.stmt.listNamespace.all(storageKey, namespace)) as Array<{ rv: number; data: string }>;
    return rows.map((r) => ({ rv: r.rv, object: JSON.parse(r.data) }));
  }

  count(storageKey: string): number {
    return (this.stmt.count.get(storageKey) as { n: number }).n;
  }

  /** Every object of every kind (start-up scans: CRDs, owner index). */
  *scan(): Generator<{ storageKey: string } & StoredObject> {
    for (const row of this.stmt.listAllKeys.iterate() as Iterable<{ storage_key: string; rv: number; data: string }>) {
      yield { storageKey: row.storage_key, rv: row.rv, object: JSON.parse(row.data) };
    }
  }

  /** Writes the object under a fresh resourceVersion (set into its metadata) and returns it. */
  put(key: StoreKey, object: StoredObject['object']): number {
    const rv = this.rv + 1;
    object.metadata.resourceVersion = String(rv);
    this.db.transaction(() => {
      this.stmt.upsert.run(key.storageKey, key.namespace, key.name, rv, JSON.stringify(object));
      this.stmt.saveRv.run(rv);
    })();
    this.rv = rv;
    return rv;
  }

  /** Removes the object; the deletion itself consumes a resourceVersion, as in etcd. */
  remove(key: StoreKey): number {
    const rv = this.rv + 1;
    this.db.transaction(() => {
      this.stmt.remove.run(key.storageKey, key.namespace, key.name);
      this.stmt.saveRv.run(rv);
    })();
    this.rv = rv;
    return rv;
  }

  close(): void {
    this.db.close();
  }
}
