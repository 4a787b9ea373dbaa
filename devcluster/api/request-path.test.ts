import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiError } from './errors.ts';
import { nameProblems } from '../logic/names.ts';
import { parseApiPath, parseRequestTarget } from './request-path.ts';

test('kube-apiserver URL layout', () => {
  assert.deepEqual(parseApiPath('/api'), { kind: 'legacy-versions' });
  assert.deepEqual(parseApiPath('/apis/apps'), { kind: 'group', group: 'apps' });
  assert.deepEqual(parseApiPath('/apis/apps/v1'), { kind: 'resource-list', group: 'apps', version: 'v1' });
  const r = (p: string) => {
    const out = parseApiPath(p) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
  };
  assert.deepEqual(r('/api/v1/namespaces'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    name: 'team',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team/status'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    plural: 'namespaces',
    name: 'team',
    subresource: 'status',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/namespaces/team/pods'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    namespace: 'team',
    plural: 'pods',
    watch: false,
  });
  assert.deepEqual(r('/apis/apps/v1/namespaces/team/deployments/web/scale'), {
    kind: 'resource',
    group: 'apps',
    version: 'v1',
    namespace: 'team',
    plural: 'deployments',
    name: 'web',
    subresource: 'scale',
    watch: false,
  });
  assert.deepEqual(r('/api/v1/watch/namespaces/team/configmaps'), {
    kind: 'resource',
    group: '',
    version: 'v1',
    namespace: 'team',
    plural: 'configmaps',
    watch: true,
  });
  assert.equal(parseApiPath('/healthz'), undefined);
  assert.equal(parseApiPath('/api/v1/namespaces/a/pods/b/c/d'), undefined);
});

const refused = (p: string) =>
  assert.throws(
    () => parseApiPath(p),
    (e: ApiError) => e.code === 400,
    p,
  );

test('"." and ".." are never names or namespaces, however encoded (issue 16: %2e%2e deleted a namespace)', () => {
  for (const dots of ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '.', '%2e']) {
    refused(`/api/v1/namespaces/victim/configmaps/${dots}`);
    refused(`/api/v1/namespaces/victim/secrets/${dots}/${dots}`);
    refused(`/api/v1/namespaces/${dots}/configmaps`);
    refused(`/api/v1/namespaces/${dots}`);
    refused(`/apis/apps/v1/namespaces/victim/deployments/${dots}/scale`);
  }
  refused('/api/v1/namespaces/victim/configmaps/a%2Fb');
  refused('/api/v1/namespaces/victim/configmaps/a%25b');
  refused('/api/v1/namespaces/victim/configmaps/%zz');
  // an empty segment is no resource at all, rather than the one after it moving up a place
  assert.equal(parseApiPath('/api/v1/namespaces//configmaps/x'), undefined);
});

test('a request target is split raw: no dot-segment resolution, no authority from "//"', () => {
  assert.equal(
    parseRequestTarget('/api/v1/namespaces/victim/configmaps/%2e%2e?x=1').path,
    '/api/v1/namespaces/victim/configmaps/%2e%2e',
  );
  assert.equal(parseRequestTarget('//api/v1/namespaces/').path, '//api/v1/namespaces');
  assert.equal(parseRequestTarget('/api/v1/?watch=true&a=b%20c').query.get('a'), 'b c');
  assert.equal(parseRequestTarget('///').path, '/');
  assert.throws(
    () => parseRequestTarget('https://evil.example/api'),
    (e: ApiError) => e.code === 400,
  );
});

test('property: every path either routes to exactly the segments it names, or is refused', () => {
  const segment = fc.oneof(
    fc.constantFrom(
      '.',
      '..',
      '%2e%2e',
      '%2e',
      '%2F',
      '%2f',
      '%25',
      '%',
      '%zz',
      'a%2Fb',
      '',
      '__proto__',
      'constructor',
    ),
    fc.stringMatching(/^[a-z0-9.%-]{1,12}$/),
  );
  fc.assert(
    fc.property(
      fc.constantFrom('/api/v1', '/apis/apps/v1'),
      fc.array(segment, { minLength: 1, maxLength: 6 }),
      (prefix, segs) => {
        const path = `${prefix}/${segs.join('/')}`;
        let parsed: ReturnType<typeof parseApiPath>;
        try {
          parsed = parseApiPath(path);
        } catch (e) {
          assert.ok(e instanceof ApiError && e.code === 400 && e.message.length > 0, String(e));
          return;
        }
        if (parsed?.kind !== 'resource') return;
        const decoded = segs.map((s) => decodeURIComponent(s));
        for (const name of [parsed.name, parsed.namespace]) {
          if (name === undefined) continue;
          assert.ok(decoded.includes(name), `${name} is one of the segments of ${path}`);
          assert.deepEqual(nameProblems(name, 'path-segment'), []);
        }
        // the segments after the prefix, in order, are exactly what was routed
        const routed = [
          ...(parsed.watch ? ['watch'] : []),
          ...(parsed.namespace !== undefined ? ['namespaces', parsed.namespace] : []),
          parsed.plural,
          ...(parsed.name !== undefined ? [parsed.name] : []),
          ...(parsed.subresource !== undefined ? [parsed.subresource] : []),
        ];
        assert.deepEqual(routed, decoded);
      },
    ),
    { numRuns: 500 },
  );
});
