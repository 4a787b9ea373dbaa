import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ObjectApi, systemContext } from '../api/object-api.ts';
import { builtinTypes } from '../resources/builtin/index.ts';
import { ResourceCatalog } from '../resources/catalog.ts';
import { SqliteStore } from '../storage/sqlite-store.ts';
import { WatchCache } from '../storage/watch-cache.ts';
import { EventRecorder } from './event-recorder.ts';
import { EventTtl } from './event-ttl.ts';

function cluster() {
  const store = new SqliteStore(':memory:');
  const catalog = new ResourceCatalog(builtinTypes());
  const api = new ObjectApi(store, new WatchCache(store.currentRv()), catalog);
  return { api, catalog, t: (plural: string) => catalog.lookup('', 'v1', plural)! };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

test('repeated events about one object count up instead of piling up; expired events are swept', async () => {
  const { api, catalog, t } = cluster();
  await api.create(t('namespaces'), '', { metadata: { name: 'default' } }, systemContext('test'));
  const cm = await api.create(t('configmaps'), 'default', { metadata: { name: 'app' } }, systemContext('test'));
  const recorder = new EventRecorder(api, catalog, 'test-controller', pino({ level: 'silent' }));
  recorder.record(cm, 'Warning', 'BackOff', 'Back-off restarting failed container engine');
  await settle();
  recorder.record(cm, 'Warning', 'BackOff', 'Back-off restarting failed container engine');
  recorder.record(cm, 'Normal', 'Started', 'Started container engine');
  await settle();
  const events = api.list(t('events'), 'default').items;
  assert.deepEqual(events.map((e) => [e.reason, e.count]).sort(), [
    ['BackOff', 2],
    ['Started', 1],
  ]);
  assert.equal((events[0]!.involvedObject as { uid: string }).uid, cm.metadata.uid);
  const ttl = new EventTtl(api, catalog, pino({ level: 'silent' }), 3_600_000);
  assert.equal(await ttl.sweep(Date.now()), 0);
  assert.equal(await ttl.sweep(Date.now() + 3_601_000), 2);
  ttl.stop();
});
