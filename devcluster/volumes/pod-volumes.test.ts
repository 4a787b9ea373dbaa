import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../resources/object-meta.ts';
import { writeAtomically } from './atomic-writer.ts';
import { HostFilesystem, MountError } from './host-filesystem.ts';
import { planPodVolumes, setUpPodVolumes, type VolumeSources } from './pod-volumes.ts';

const temp = () => mkdtempSync(join(tmpdir(), 'pod-volumes-'));

const pod = (volumes: object[]): KubeObject => ({
  metadata: { name: 'web-0', namespace: 'team', uid: 'u1', labels: { app: 'web', tier: 'front' } },
  spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }], volumes },
});

const sources = (extra: Partial<VolumeSources> = {}): VolumeSources => ({
  configMap: (n) =>
    n === 'cfg' ? { data: { 'app.yaml': 'a: 1', level: 'debug' }, binaryData: { 'logo.bin': 'AAE=' } } : undefined,
  secret: (n) => (n === 'creds' ? { token: Buffer.from('s3cret') } : undefined),
  claim: (n) =>
    n === 'data'
      ? {
          claim: { metadata: { name: 'data' }, status: { phase: 'Bound' } },
          volume: { metadata: { name: 'pv-1' }, spec: { hostPath: { path: '/var/lib/devcluster/storage/pv-1' } } },
        }
      : n === 'pending'
        ? { claim: { metadata: { name: 'pending' }, status: { phase: 'Pending' } } }
        : undefined,
  node: { cpu: 2, memory: 2 ** 32 },
  ...extra,
});

const mountError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MountError, String(e));
    return `${e.volume}: ${e.message}`;
  }
  return 'no error';
};

test('projected volumes: ConfigMap data and binaryData, Secret items with modes, downward API labels', () => {
  const planned = planPodVolumes(
    pod([
      { name: 'config', configMap: { name: 'cfg', defaultMode: 0o640 } },
      { name: 'creds', secret: { secretName: 'creds', items: [{ key: 'token', path: 'auth/token', mode: 0o400 }] } },
      {
        name: 'info',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
          ],
        },
      },
      {
        name: 'all',
        projected: {
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'level', path: 'level' }] } },
            { secret: { name: 'creds' } },
          ],
        },
      },
    ]),
    '/pods/p',
    sources(),
  );
  const files = (name: string) => {
    const v = planned.find((p) => p.name === name)!;
    assert.equal(v.kind, 'projected');
    return v.kind === 'projected'
      ? Object.fromEntries([...v.payload].map(([k, f]) => [k, [f.content.toString('base64'), f.mode]]))
      : {};
  };
  assert.deepEqual(files('config'), {
    'app.yaml': [Buffer.from('a: 1').toString('base64'), 0o640],
    level: [Buffer.from('debug').toString('base64'), 0o640],
    'logo.bin': ['AAE=', 0o640],
  });
  assert.deepEqual(files('creds'), { 'auth/token': [Buffer.from('s3cret').toString('base64'), 0o400] });
  const info = planned.find((p) => p.name === 'info')!;
  assert.ok(info.kind === 'projected');
  assert.equal(info.payload.get('labels')!.content.toString(), 'app="web"\ntier="front"');
  assert.equal(info.payload.get('mem')!.content.toString(), '64');
  assert.deepEqual(Object.keys(files('all')).sort(), ['level', 'token']);
});

test('emptyDir, hostPath and a bound claim are directories; a claim mounts its volume path', () => {
  const planned = planPodVolumes(
    pod([
      { name: 'scratch', emptyDir: {} },
      { name: 'logs', hostPath: { path: '/var/log/app', type: 'DirectoryOrCreate' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    ]),
    '/pods/p',
    sources(),
  );
  assert.deepEqual(planned, [
    { name: 'scratch', kind: 'emptyDir', dir: '/pods/p/volumes/scratch' },
    { name: 'logs', kind: 'hostPath', path: '/var/log/app', type: 'DirectoryOrCreate' },
    {
      name: 'data',
      kind: 'hostPath',
      path: '/var/lib/devcluster/storage/pv-1',
      type: 'DirectoryOrCreate',
      claim: 'data',
    },
  ]);
});

test('volumes that cannot be mounted say why, as the kubelet FailedMount events do', () => {
  const plan = (v: object) => () => planPodVolumes(pod([v]), '/pods/p', sources());
  assert.equal(mountError(plan({ name: 'c', configMap: { name: 'nope' } })), 'c: configmap "nope" not found');
  assert.equal(mountError(plan({ name: 'c', configMap: { name: 'nope', optional: true } })), 'no error');
  assert.equal(
    mountError(plan({ name: 'c', configMap: { name: 'cfg', items: [{ key: 'missing', path: 'x' }] } })),
    'c: configmap references non-existent config key: missing',
  );
  assert.equal(mountError(plan({ name: 's', secret: { secretName: 'nope' } })), 's: secret "nope" not found');
  assert.equal(
    mountError(plan({ name: 'd', persistentVolumeClaim: { claimName: 'gone' } })),
    'd: persistentvolumeclaim "gone" not found',
  );
  assert.equal(
    mountError(plan({ name: 'd', persistentVolumeClaim: { claimName: 'pending' } })),
    'd: persistentvolumeclaim "pending" is not bound',
  );
  assert.match(
    mountError(plan({ name: 'n', nfs: { server: 'x', path: '/' } })),
    /^n: devcluster cannot mount nfs volumes/,
  );
});

test('the atomic writer swaps versions through ..data, drops removed keys and skips unchanged payloads', () => {
  const dir = temp();
  try {
    const file = (s: string) => ({ content: Buffer.from(s), mode: 0o644 });
    assert.equal(
      writeAtomically(
        dir,
        new Map([
          ['a.yaml', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
      true,
    );
    assert.equal(readFileSync(join(dir, 'a.yaml'), 'utf8'), '1');
    assert.equal(readFileSync(join(dir, 'sub/b'), 'utf8'), '2');
    assert.ok(lstatSync(join(dir, 'a.yaml')).isSymbolicLink());
    const first = readlinkSync(join(dir, '..data'));
    assert.equal(
      writeAtomically(
        dir,
        new Map([
          ['a.yaml', file('1')],
          ['sub/b', file('2')],
        ]),
      ),
      false,
    );
    assert.equal(readlinkSync(join(dir, '..data')), first, 'an unchanged payload keeps its version');
    assert.equal(writeAtomically(dir, new Map([['a.yaml', file('changed')]])), true);
    assert.notEqual(readlinkSync(join(dir, '..data')), first);
    assert.equal(readFileSync(join(dir, 'a.yaml'), 'utf8'), 'changed');
    assert.throws(() => statSync(join(dir, 'sub')), /ENOENT/, 'a removed key disappears');
    assert.throws(() => statSync(join(dir, first)), /ENOENT/, 'the old version is removed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostPath volumes stay inside the node filesystem: "..", symlinks out and type checks', () => {
  const root = temp();
  const outside = temp();
  try {
    const host = new HostFilesystem(join(root, 'host'));
    assert.equal(host.resolve('/../../etc/passwd'), join(root, 'host', 'etc/passwd'));
    const dir = host.setUp('v', '/srv/data', 'DirectoryOrCreate');
    assert.equal(dir, join(root, 'host', 'srv/data'));
    assert.ok(statSync(dir).isDirectory());
    assert.match(
      mountError(() => host.setUp('v', '/missing', 'Directory')),
      /hostPath type check failed: \/missing is not a directory/,
    );
    assert.match(
      mountError(() => host.setUp('v', '/srv/data', 'File')),
      /is not a file/,
    );
    host.setUp('v', '/srv/empty.txt', 'FileOrCreate');
    assert.ok(statSync(join(root, 'host', 'srv/empty.txt')).isFile());
    writeFileSync(join(outside, 'secret'), 'x');
    mkdirSync(join(root, 'host', 'links'), { recursive: true });
    symlinkSync(outside, join(root, 'host', 'links', 'out'));
    assert.match(
      mountError(() => host.setUp('v', '/links/out', '')),
      /resolves outside the node's filesystem/,
    );
    assert.match(
      mountError(() => host.setUp('v', '/links/out/deeper', '')),
      /resolves outside the node's filesystem/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('setting up projected volumes writes them once and again only when their sources change', () => {
  const root = temp();
  try {
    const host = new HostFilesystem(join(root, 'host'));
    let level = 'debug';
    const src = sources({ configMap: () => ({ data: { level } }) });
    const p = pod([
      { name: 'config', configMap: { name: 'cfg' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
    ]);
    const dirs = setUpPodVolumes(planPodVolumes(p, join(root, 'pod'), src), host);
    assert.equal(readFileSync(join(dirs.get('config')!, 'level'), 'utf8'), 'debug');
    assert.equal(dirs.get('data'), join(root, 'host', 'var/lib/devcluster/storage/pv-1'));
    level = 'info';
    setUpPodVolumes(planPodVolumes(p, join(root, 'pod'), src), host);
    assert.equal(readFileSync(join(dirs.get('config')!, 'level'), 'utf8'), 'info');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
