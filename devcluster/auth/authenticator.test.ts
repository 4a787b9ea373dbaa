import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTokenFile } from './authenticator.ts';
import { aggregatedRules } from './clusterrole-aggregation-controller.ts';

test("the token file follows kube-apiserver's --token-auth-file format", () => {
  const users = parseTokenFile(
    '# comment\nt1,alice,u1,"tenant-a,devs"\n\nt2,bob,u2\nt3,"carol, jr",,ops\n',
    'tokens.csv',
  );
  assert.deepEqual(users, [
    { token: 't1', username: 'alice', uid: 'u1', groups: ['tenant-a', 'devs', 'system:authenticated'] },
    { token: 't2', username: 'bob', uid: 'u2', groups: ['system:authenticated'] },
    { token: 't3', username: 'carol, jr', uid: undefined, groups: ['ops', 'system:authenticated'] },
  ]);
  assert.throws(() => parseTokenFile('only-a-token\n', 'tokens.csv'), /tokens\.csv:1: expected token,user,uid/);
});

test('an aggregated ClusterRole holds the union of the rules its selectors match', () => {
  const role = (name: string, labels: Record<string, string>, rules: object[], aggregate?: string) => ({
    metadata: { name, labels },
    rules,
    ...(aggregate ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [aggregate]: 'true' } }] } } : {}),
  });
  const read = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
  const apps = { verbs: ['get'], apiGroups: ['example.com'], resources: ['apps'] };
  const all = [
    role('view', { 'agg/edit': 'true' }, [], 'agg/view'),
    role('b-source', { 'agg/view': 'true' }, [apps, read]),
    role('a-source', { 'agg/view': 'true' }, [read]),
    role('unrelated', {}, [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
  ];
  assert.deepEqual(aggregatedRules(all[0]!, all), [read, apps], 'sorted by source, duplicates dropped');
});
