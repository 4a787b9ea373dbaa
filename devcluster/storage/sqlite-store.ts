// Persistence in SQLite (better-sqlite3), in the spirit of k3s's kine: one row per live object and one
// global, monotonically increasing resourceVersion sequence bumped by every write. Writes are
// synchronous transactions, so commit order is resourceVersion order is watch order.
//
// Every live object is also held in memory (write-through), the way kube-apiserver serves reads
// from its watch cache: gets and lists never touch the disk, and each object is parsed and
// serialised at most once per version.
import Database from 'better-sqlite3';

export type StoredData = Record<string, unknown> & { metadata: Record<string, unknown> };

export interface StoredObject {
  rv: number;
  /** The object as stored (storage version), metadata.resourceVersion already set. A private copy. */
  object: StoredData;
}

/** A live object as the store holds it: shared and deep-frozen, with its JSON text. */
export interface StoreEntry {
  readonly rv: number;
  readonly json: string;
  /** Parsed on first use; frozen, so a caller that tries to modify it fails loudly. */
  readonly object: Readonly<StoredData>;
}

export interface StoreKey {
  storageKey: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

class Entry implements StoreEntry {
  private parsed?: StoredData;
  constructor(
    readonly rv: number,
    readonly json: string,
    readonly namespace: string,
    readonly name: string,
  ) {}
  get object(): StoredData {
    this.parsed ??= deepFreeze(JSON.parse(this.json) as StoredData);
    return this.parsed;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The objects of one storage key, with a lazily rebuilt (namespace, name) order for lists. */
class Bucket {
  readonly entries = new Map<string, Entry>();
  private order?: Entry[];

  set(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    this.order = undefined;
  }

  delete(id: string): void {
    if (this.entries.delete(id)) this.order = undefined;
  }

  sorted(): Entry[] {
    this.order ??= [...this.entries.values()].sort((a, b) =>
      a.namespace === b.namespace ? compare(a.name, b.name) : compare(a.namespace, b.namespace),
    );
    return this.order;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const idOf = (namespace: string, name: string) => `${namespace}\u0000${name}`;

export class SqliteStore {
  private readonly db: Database.Database;
  private rv: number;
  private readonly buckets = new Map<string, Bucket>();
  /** One transaction per write: the object row and the sequence move together. */
  private readonly writeRow: (key: StoreKey, rv: number, json: string) => void;
  private readonly deleteRow: (key: StoreKey, rv: number) => void;

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
    const rows = this.db.prepare('SELECT storage_key, namespace, name, rv, data FROM objects').iterate() as Iterable<{
      storage_key: string;
      namespace: string;
      name: string;
      rv: number;
      data: string;
    }>;
    for (const row of rows)
      this.bucket(row.storage_key).set(
        idOf(row.namespace, row.name),
        new Entry(row.rv, row.data, row.namespace, row.name),
      );
    const upsert = this.db.prepare(
      'INSERT INTO objects (storage_key, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT ' +
        '(storage_key, namespace, name) DO UPDATE SET rv = excluded.rv, data = excluded.data',
    );
    const remove = this.db.prepare('DELETE FROM objects WHERE storage_key = ? AND namespace = ? AND name = ?');
    const saveRv = this.db.prepare('UPDATE sequence SET rv = ? WHERE id = 1');
    this.writeRow = this.db.transaction((key: StoreKey, rv: number, json: string) => {
      upsert.run(key.storageKey, key.namespace, key.name, rv, json);
      saveRv.run(rv);
    });
    this.deleteRow = this.db.transaction((key: StoreKey, rv: number) => {
      remove.run(key.storageKey, key.namespace, key.name);
      saveRv.run(rv);
    });
  }

  private bucket(storageKey: string): Bucket {
    let b = this.buckets.get(storageKey);
    if (!b) this.buckets.set(storageKey, (b = new Bucket()));
    return b;
  }

  /** The resourceVersion of the latest write. */
  currentRv(): number {
    return this.rv;
  }

  /** A private, mutable copy of the object. */
  get(key: StoreKey): StoredObject | undefined {
    const entry = this.buckets.get(key.storageKey)?.entries.get(idOf(key.namespace, key.name));
    return entry ? { rv: entry.rv, object: JSON.parse(entry.json) } : undefined;
  }

  /** The shared, frozen entry (no copy). */
  entry(key: StoreKey): StoreEntry | undefined {
    return this.buckets.get(key.storageKey)?.entries.get(idOf(key.namespace, key.name));
  }

  /** The object's resourceVersion, or undefined when absent. */
  rvOf(key: StoreKey): number | undefined {
    return this.entry(key)?.rv;
  }

  /** Shared entries in (namespace, name) order; `namespace` limits them to one namespace. */
  entries(storageKey: string, namespace?: string): StoreEntry[] {
    const all = this.buckets.get(storageKey)?.sorted() ?? [];
    return namespace === undefined ? all : all.filter((e) => e.namespace === namespace);
  }

  /** Private copies, in (namespace, name) order. */
  list(storageKey: string, namespace?: string): StoredObject[] {
    return this.entries(storageKey, namespace).map((e) => ({ rv: e.rv, object: JSON.parse(e.json) }));
  }

  /** Every object of every kind (start-up scans: CRDs, owner index), shared and frozen. */
  *scan(): Generator<{ storageKey: string } & StoreEntry> {
    for (const [storageKey, bucket] of this.buckets) {
      for (const e of bucket.entries.values()) yield { storageKey, rv: e.rv, json: e.json, object: e.object };
    }
  }

  /** Writes the object under a fresh resourceVersion (set into its metadata) and returns it. */
  put(key: StoreKey, object: StoredData): number {
    const rv = this.rv + 1;
    object.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(object);
    this.writeRow(key, rv, json);
    this.rv = rv;
    this.bucket(key.storageKey).set(idOf(key.namespace, key.name), new Entry(rv, json, key.namespace, key.name));
    return rv;
  }

  /** Removes the object; the deletion itself consumes a resourceVersion, as in etcd. */
  remove(key: StoreKey): number {
    const rv = this.rv + 1;
    this.deleteRow(key, rv);
    this.rv = rv;
    this.buckets.get(key.storageKey)?.delete(idOf(key.namespace, key.name));
    return rv;
  }

  close(): void {
    this.db.close();
  }
}
