// npm run bench -- plugins-sqlite [--ops 20000]
// Inserts + point reads through the storage plugin's pipeline steps (step.db_exec / step.db_query on
// database.workflow, run by the real engine's pipeline executor with templates), against the same
// statements on a raw better-sqlite3 prepared statement, in the same process and run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Engine, silentLogger } from '../engine/index.ts';
import { corePlugins } from '../plugins/index.ts';

const i = process.argv.indexOf('--ops');
const OPS = i > 0 ? Number(process.argv[i + 1]) : 20_000;
const dir = mkdtempSync(join(tmpdir(), 'bench-sqlite-'));

const CONFIG = `
modules:
  - { name: db, type: database.workflow, config: { driver: sqlite, dsn: bench.db } }
pipelines:
  setup:
    steps:
      - name: ddl
        type: step.db_exec
        config: { database: db, query: "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)" }
  put:
    steps:
      - name: ins
        type: step.db_exec
        config:
          database: db
          query: "INSERT INTO items (id, name, qty) VALUES ($1, $2, $3)"
          params: ["{{ .id }}", "{{ .name }}", "{{ .qty }}"]
  get:
    steps:
      - name: q
        type: step.db_query
        config: { database: db, query: "SELECT name, qty FROM items WHERE id = ?", params: ["{{ .id }}"], mode: single }
`;

async function viaPlugins(): Promise<number> {
  const engine = await Engine.fromText(CONFIG, {
    plugins: corePlugins,
    logger: silentLogger(),
    dataDir: join(dir, 'plugins'),
    baseDir: dir,
  });
  await engine.start();
  await engine.executePipeline('setup');
  const start = performance.now();
  for (let n = 0; n < OPS; n++) await engine.executePipeline('put', { id: n, name: `item-${n}`, qty: n % 7 });
  for (let n = 0; n < OPS; n++) {
    const out = await engine.executePipeline('get', { id: n });
    if (out.found !== true) throw new Error(`row ${n} missing`);
  }
  const ms = performance.now() - start;
  await engine.stop();
  return ms;
}

function raw(): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)');
  const ins = db.prepare('INSERT INTO items (id, name, qty) VALUES (?, ?, ?)');
  const get = db.prepare('SELECT name, qty FROM items WHERE id = ?');
  const start = performance.now();
  for (let n = 0; n < OPS; n++) ins.run(n, `item-${n}`, n % 7);
  for (let n = 0; n < OPS; n++) if (!get.get(n)) throw new Error(`row ${n} missing`);
  const ms = performance.now() - start;
  db.close();
  return ms;
}

try {
  const rawMs = raw();
  const pluginMs = await viaPlugins();
  const rate = (ms: number) => Math.round((2 * OPS) / (ms / 1000));
  console.log(`operations: ${OPS} inserts + ${OPS} point reads, file-backed SQLite (WAL), autocommit`);
  console.log(`raw better-sqlite3:        ${rate(rawMs).toLocaleString('en-US')} ops/s (${rawMs.toFixed(0)} ms)`);
  console.log(`pipeline steps (plugins):  ${rate(pluginMs).toLocaleString('en-US')} ops/s (${pluginMs.toFixed(0)} ms)`);
  console.log(
    `ratio plugins/raw: ${(rawMs / pluginMs).toFixed(2)} (per-op overhead ` +
      `${(((pluginMs - rawMs) / (2 * OPS)) * 1000).toFixed(1)} µs)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
