import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ObjectApi, systemContext } from '../api/object-api.ts';
import { builtinTypes } from '../resources/builtin/index.ts';
import { ResourceCatalog } from '../resources/catalog.ts';
import type { ResourceType } from '../resources/resource-type.ts';
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

/** Waits until the events in `default` are, by reason, the counts given (the recorder writes in the background). */
async function eventsSettle(api: ObjectApi, t: (plural: string) => ResourceType, want: Array<[string, number]>) {
  const counts = () =>
    api
      .list(t('events'), 'default')
      .items.map((e) => [e.reason, e.count])
      .sort();
  const deadline = Date.now() + 30_000;
  while (JSON.stringify(counts()) !== JSON.stringify(want)) {
    if (Date.now() > deadline) assert.deepEqual(counts(), want, 'events never settled');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('repeated events about one object count up instead of piling up; expired events are swept', async () => {
  const { api, catalog, t } = cluster();
  await api.create(t('namespaces'), '', { metadata: { name: 'default' } }, systemContext('test'));
  const cm = await api.create(t('configmaps'), 'default', { metadata: { name: 'app' } }, systemContext('test'));
  const recorder = new EventRecorder(api, catalog, 'test-controller', pino({ level: 'silent' }));
  recorder.record(cm, 'Warning', 'BackOff', 'Back-off restarting failed container engine');
  await eventsSettle(api, t, [['BackOff', 1]]);
  recorder.record(cm, 'Warning', 'BackOff', 'Back-off restarting failed container engine');
  recorder.record(cm, 'Normal', 'Started', 'Started container engine');
  await eventsSettle(api, t, [
    ['BackOff', 2],
    ['Started', 1],
  ]);
  const events = api.list(t('events'), 'default').items;
  assert.equal((events[0]!.involvedObject as { uid: string }).uid, cm.metadata.uid);
  const ttl = new EventTtl(api, catalog, pino({ level: 'silent' }), 3_600_000);
  assert.equal(await ttl.sweep(Date.now()), 0);
  assert.equal(await ttl.sweep(Date.now() + 3_601_000), 2);
  ttl.stop();
});
