import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteDatabase } from '../storage/index.ts';
import { DlqStore } from './dlq-store.ts';

test('DlqStore: filters, paging newest first, status moves, and a purge of settled entries only', async () => {
  const store = new DlqStore(new SqliteDatabase(':memory:'));
  const a = store.add({ pipeline_name: 'p1', step_name: 's', error_type: 'timeout', original_event: { n: 1 } });
  const b = store.add({ pipeline_name: 'p2', original_event: 'raw text' });
  const c = store.add({ pipeline_name: 'p1', metadata: { k: 'v' } });
  assert.deepEqual(
    store.list().map((e) => e.id),
    [c.id, b.id, a.id],
  );
  assert.deepEqual(
    store.list({ limit: 1, offset: 1 }).map((e) => e.id),
    [b.id],
  );
  assert.deepEqual([store.count({ pipeline: 'p1' }), store.count({ errorType: 'timeout' })], [2, 1]);
  assert.deepEqual(store.get(b.id)?.original_event, 'raw text');
  assert.deepEqual(store.get(c.id)?.metadata, { k: 'v' });

  assert.ok(store.retry(a.id) && store.retry(a.id));
  assert.deepEqual([store.get(a.id)?.status, store.get(a.id)?.retry_count], ['retrying', 2]);
  assert.ok(store.resolve(b.id) && store.discard(c.id));
  assert.equal(store.retry('no-such-id'), false);

  assert.equal(store.purge(3_600_000), 0, 'nothing settled an hour ago');
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(store.purge(0), 2, 'resolved and discarded go; retrying stays');
  assert.deepEqual(
    store.list().map((e) => e.id),
    [a.id],
  );
});
