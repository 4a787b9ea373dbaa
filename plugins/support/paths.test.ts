import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostPath, resolveFrom } from './paths.ts';

test('relative config paths resolve against their base; absolute ones are themselves without a path map', () => {
  assert.equal(resolveFrom('/app/data', 'app.db'), '/app/data/app.db');
  assert.equal(hostPath('/data/app.db', {}), '/data/app.db');
});

test("WORKFLOW_PATH_MAP: a container's absolute paths read from where its mounts live on the host", () => {
  const env = {
    WORKFLOW_PATH_MAP: JSON.stringify({
      '/data': '/srv/pvc-1',
      '/data/cache/': '/srv/cache',
      '/app/app.yaml': '/pods/p/app.yaml',
    }),
  };
  assert.equal(hostPath('/data/app.db', env), '/srv/pvc-1/app.db');
  assert.equal(hostPath('/data', env), '/srv/pvc-1');
  assert.equal(hostPath('/data/cache/x', env), '/srv/cache/x', 'the innermost mount wins');
  assert.equal(hostPath('/app/app.yaml', env), '/pods/p/app.yaml');
  assert.equal(hostPath('/database/x', env), '/database/x', 'a sibling with the same prefix is not under /data');
  assert.equal(hostPath('/data/../etc/passwd', env), '/etc/passwd', '.. is resolved in the container first');
  assert.equal(hostPath('/tmp/x', env), '/tmp/x');
  assert.equal(hostPath('/etc/x', { WORKFLOW_PATH_MAP: '{"/":"/srv/root"}' }), '/srv/root/etc/x');
});

test('a malformed WORKFLOW_PATH_MAP is a clear error, not a guess', () => {
  for (const bad of ['not json', '[]', '{"data":"/x"}', '{"/data":"relative"}', '{"/data":1}'])
    assert.throws(() => hostPath('/data/x', { WORKFLOW_PATH_MAP: bad }), /WORKFLOW_PATH_MAP must be a JSON object/);
});
