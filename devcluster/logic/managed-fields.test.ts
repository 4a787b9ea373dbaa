import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyedList, obj, str, int } from '../resources/schema-dsl.ts';
import { objectFrame } from '../resources/object-meta.ts';
import { describeConflicts, recordUpdate, serverSideApply, type OwnershipContext } from './managed-fields.ts';

const schema = objectFrame({
  spec: obj({ image: str(), replicas: int(), plugins: keyedList(obj({ name: str(), version: str() }), ['name']) }),
  status: obj({ phase: str() }),
});
const ctx = (manager: string, extra: Partial<OwnershipContext> = {}): OwnershipContext => ({
  manager,
  apiVersion: 'example.com/v1',
  statusSubresource: true,
  schema,
  time: '2026-01-01T00:00:00Z',
  ...extra,
});
const base = { apiVersion: 'example.com/v1', kind: 'App', metadata: { name: 'a' } };

test('apply creates ownership; a second manager conflicts on changed values only; force transfers', () => {
  const first = serverSideApply(
    undefined,
    { ...base, spec: { image: 'x:1', plugins: [{ name: 'auth', version: '1' }] } },
    false,
    ctx('alice'),
  );
  assert.equal(first.conflicts.length, 0);
  assert.deepEqual((first.object.metadata as any).managedFields[0].fieldsV1, {
    'f:spec': {
      '.': {},
      'f:image': {},
      'f:plugins': { '.': {}, 'k:{"name":"auth"}': { '.': {}, 'f:name': {}, 'f:version': {} } },
    },
  });
  const same = serverSideApply(first.object, { ...base, spec: { image: 'x:1' } }, false, ctx('bob'));
  assert.equal(same.conflicts.length, 0, 'agreeing on a value is shared ownership, not a conflict');
  const clash = serverSideApply(
    first.object,
    { ...base, spec: { image: 'x:2', plugins: [{ name: 'auth', version: '2' }] } },
    false,
    ctx('bob'),
  );
  assert.deepEqual(
    clash.conflicts.map((c) => c.manager),
    ['alice', 'alice'],
  );
  assert.match(
    describeConflicts(clash.conflicts).message,
    new RegExp(
      String.raw`Apply failed with 2 conflicts: conflicts with "alice":\n` +
        String.raw`- \.spec\.image\n- \.spec\.plugins\[name="auth"\]\.version`,
    ),
  );
  const forced = serverSideApply(first.object, { ...base, spec: { image: 'x:2' } }, true, ctx('bob'));
  assert.equal((forced.object.spec as any).image, 'x:2');
  const owners = (forced.object.metadata as any).managedFields.map((m: any) => [m.manager, JSON.stringify(m.fieldsV1)]);
  assert.ok(!owners.find(([m]: string[]) => m === 'alice')[1].includes('f:image'), 'alice lost spec.image');
});

test('fields an applier stops declaring are removed unless someone else owns them', () => {
  const one = serverSideApply(
    undefined,
    { ...base, spec: { image: 'x:1', replicas: 2, plugins: [{ name: 'auth' }, { name: 'cache' }] } },
    false,
    ctx('alice'),
  ).object;
  const shared = serverSideApply(one, { ...base, spec: { replicas: 2 } }, false, ctx('bob')).object;
  const after = serverSideApply(
    shared,
    { ...base, spec: { image: 'x:1', plugins: [{ name: 'auth' }] } },
    false,
    ctx('alice'),
  ).object;
  assert.deepEqual(after.spec, { image: 'x:1', replicas: 2, plugins: [{ name: 'auth' }] });
});

test('updates take ownership of what they change, away from other managers; status writers own status only', () => {
  const applied = serverSideApply(undefined, { ...base, spec: { image: 'x:1', replicas: 1 } }, false, ctx('alice'))
    .object as any;
  const next = structuredClone(applied);
  next.spec.replicas = 5;
  const entries = recordUpdate(applied.metadata.managedFields, applied, next, ctx('kubectl-scale'));
  const byManager = Object.fromEntries(entries.map((e) => [e.manager, JSON.stringify(e.fieldsV1)]));
  assert.match(byManager['kubectl-scale']!, /f:replicas/);
  assert.doesNotMatch(byManager.alice!, /f:replicas/);
  const withStatus = { ...next, status: { phase: 'Ready' } };
  const statusEntries = recordUpdate(entries, next, withStatus, ctx('controller', { subresource: 'status' }));
  const controller = statusEntries.find((e) => e.manager === 'controller')!;
  assert.equal(controller.subresource, 'status');
  assert.deepEqual(controller.fieldsV1, { 'f:status': { '.': {}, 'f:phase': {} } });
});
