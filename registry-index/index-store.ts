// Persists the served registry state in SQLite so a restarted server answers at once, and so the
// published-version ledger (which cannot be recomputed from the current tree) survives restarts.
// Each sync writes only what changed, in one transaction: a crash leaves the previous state intact.
import Database from 'better-sqlite3';
import type { Problem } from './problem.ts';
import type { ByPlugin, PublishedState, PublishedVersion, Refusal } from './published.ts';
import type { ArchiveFacts, PluginFileRecord, RegistryIndex, TemplateRecord } from './registry-index.ts';
import type { KeyRecord } from './trusted-keys.ts';

export interface RefusedCommit {
  revision: string;
  at: string;
  /** Errors that made the commit unacceptable (capped). */
  problems: Problem[];
  errorCount: number;
}

export interface StoredState {
  revision: string;
  syncedAt: string;
  files: Map<string, Map<string, PluginFileRecord>>;
  templates: Map<string, TemplateRecord>;
  keys: Map<string, KeyRecord>;
  published: PublishedState;
  archiveFacts: Map<string, ArchiveFacts>;
  refusedCommits: RefusedCommit[];
}

// 3: trusted key files (keys/) are part of the index.
const schemaVersion = '3';

export class IndexStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, plugin TEXT NOT NULL, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS templates (path TEXT PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS keys (path TEXT PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS refusals (key TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS archives (oid TEXT PRIMARY KEY, doc TEXT NOT NULL);
    `);
    const version = this.meta('schemaVersion');
    if (version !== undefined && version !== schemaVersion) {
      throw new Error(
        `index store ${path} has format ${version}, this build reads ${schemaVersion}; delete the file to ` +
          `rebuild it from git`,
      );
    }
    this.setMeta('schemaVersion', schemaVersion);
  }

  close(): void {
    this.db.close();
  }

  load(): StoredState | undefined {
    const revision = this.meta('revision');
    if (!revision) return undefined;
    const files = new Map<string, Map<string, PluginFileRecord>>();
    for (const row of this.db.prepare('SELECT path, plugin, record FROM files').iterate() as Iterable<{
      path: string;
      plugin: string;
      record: string;
    }>) {
      let group = files.get(row.plugin);
      if (!group) files.set(row.plugin, (group = new Map()));
      group.set(row.path, JSON.parse(row.record) as PluginFileRecord);
    }
    const templates = new Map<string, TemplateRecord>();
    for (const row of this.db.prepare('SELECT path, record FROM templates').iterate() as Iterable<{
      path: string;
      record: string;
    }>) {
      templates.set(row.path, JSON.parse(row.record) as TemplateRecord);
    }
    const keys = new Map<string, KeyRecord>();
    for (const row of this.db.prepare('SELECT path, record FROM keys').iterate() as Iterable<{
      path: string;
      record: string;
    }>) {
      keys.set(row.path, JSON.parse(row.record) as KeyRecord);
    }
    return {
      revision,
      syncedAt: this.meta('syncedAt') ?? new Date(0).toISOString(),
      files,
      templates,
      keys,
      published: {
        ledger: byPlugin(this.docs<Record<string, PublishedVersion>>('ledger')),
        refusals: byPlugin(this.docs<Record<string, Refusal>>('refusals')),
      },
      archiveFacts: this.docs<ArchiveFacts>('archives', 'oid'),
      refusedCommits: JSON.parse(this.meta('refusedCommits') ?? '[]') as RefusedCommit[],
    };
  }

  /** Write the new state, given the previously saved one (rows that did not change are not written). */
  save(
    next: {
      index: RegistryIndex;
      published: PublishedState;
      syncedAt: string;
      archiveFacts: Map<string, ArchiveFacts>;
    },
    prev?: { index: RegistryIndex; published: PublishedState },
  ): void {
    const putFile = this.db.prepare('INSERT OR REPLACE INTO files (path, plugin, record) VALUES (?, ?, ?)');
    const delFile = this.db.prepare('DELETE FROM files WHERE path = ?');
    const putTemplate = this.db.prepare('INSERT OR REPLACE INTO templates (path, record) VALUES (?, ?)');
    const delTemplate = this.db.prepare('DELETE FROM templates WHERE path = ?');
    const putKey = this.db.prepare('INSERT OR REPLACE INTO keys (path, record) VALUES (?, ?)');
    const delKey = this.db.prepare('DELETE FROM keys WHERE path = ?');
    const putArchive = this.db.prepare('INSERT OR IGNORE INTO archives (oid, doc) VALUES (?, ?)');
    this.db.transaction(() => {
      if (!prev) {
        this.db.exec(
          'DELETE FROM files; DELETE FROM templates; DELETE FROM keys; DELETE FROM ledger; DELETE FROM refusals;',
        );
      }
      // Groups and records are shared between revisions when unchanged, so identity finds the changes.
      for (const [id, group] of next.index.files) {
        const old = prev?.index.files.get(id);
        if (old === group) continue;
        for (const [path, record] of group)
          if (old?.get(path) !== record) putFile.run(path, id, JSON.stringify(record));
        if (old) for (const path of old.keys()) if (!group.has(path)) delFile.run(path);
      }
      if (prev) {
        for (const [id, group] of prev.index.files)
          if (!next.index.files.has(id)) for (const path of group.keys()) delFile.run(path);
      }
      for (const [path, t] of next.index.templates)
        if (prev?.index.templates.get(path) !== t) putTemplate.run(path, JSON.stringify(t));
      if (prev)
        for (const path of prev.index.templates.keys()) if (!next.index.templates.has(path)) delTemplate.run(path);
      for (const [path, k] of next.index.keys)
        if (prev?.index.keys.get(path) !== k) putKey.run(path, JSON.stringify(k));
      if (prev) for (const path of prev.index.keys.keys()) if (!next.index.keys.has(path)) delKey.run(path);
      this.saveDocs('ledger', next.published.ledger, prev?.published.ledger);
      this.saveDocs('refusals', next.published.refusals, prev?.published.refusals);
      for (const [oid, facts] of next.archiveFacts) putArchive.run(oid, JSON.stringify(facts));
      this.setMeta('revision', next.index.revision);
      this.setMeta('syncedAt', next.syncedAt);
    })();
  }

  saveRefusedCommits(list: RefusedCommit[]): void {
    this.setMeta('refusedCommits', JSON.stringify(list));
  }

  /** One row per plugin; a plugin's row is rewritten when its map was replaced by the sync. */
  private saveDocs<T>(table: 'ledger' | 'refusals', next: ByPlugin<T>, prev: ByPlugin<T> | undefined): void {
    const put = this.db.prepare(`INSERT OR REPLACE INTO ${table} (key, doc) VALUES (?, ?)`);
    const del = this.db.prepare(`DELETE FROM ${table} WHERE key = ?`);
    for (const [key, doc] of next) if (prev?.get(key) !== doc) put.run(key, JSON.stringify(Object.fromEntries(doc)));
    if (prev) for (const key of prev.keys()) if (!next.has(key)) del.run(key);
  }

  private docs<T>(table: 'ledger' | 'refusals' | 'archives', keyColumn = 'key'): Map<string, T> {
    const out = new Map<string, T>();
    for (const row of this.db.prepare(`SELECT ${keyColumn} AS k, doc FROM ${table}`).iterate() as Iterable<{
      k: string;
      doc: string;
    }>)
      out.set(row.k, JSON.parse(row.doc) as T);
    return out;
  }

  private meta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  private setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }
}

function byPlugin<T>(rows: Map<string, Record<string, T>>): Map<string, Map<string, T>> {
  return new Map([...rows].map(([id, versions]) => [id, new Map(Object.entries(versions))]));
}
