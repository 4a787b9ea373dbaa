import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf, ProtobufUnsupported } from './protobuf.ts';

// a minimal protobuf writer for building kubectl-like request bodies
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n > 0);
  return out;
};
const field = (num: number, bytes: Buffer | number[]): Buffer =>
  Buffer.concat([Buffer.from(varint((num << 3) | 2)), Buffer.from(varint(bytes.length)), Buffer.from(bytes)]);
const str = (num: number, s: string) => field(num, Buffer.from(s));
const int = (num: number, n: number) => Buffer.from([...varint(num << 3), ...varint(n)]);
const msg = (...parts: Buffer[]) => Buffer.concat(parts);
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('k8s\0', 'binary'), field(1, msg(str(1, apiVersion), str(2, kind))), field(2, raw)]);

test('decodes a Deployment as kubectl create deployment sends it, zero-valued fields dropped, pointers kept', () => {
  const meta = msg(str(1, 'web'), str(2, ''), field(11, msg(str(1, 'app'), str(2, 'web'))));
  const container = msg(
    str(1, 'nginx'),
    str(2, 'nginx:1.25'),
    str(5, ''),
    field(6, msg(str(1, ''), int(2, 0), int(3, 80), str(4, 'TCP'))),
    field(8, msg()),
    int(16, 0),
  );
  const podSpec = msg(field(2, container), str(3, ''));
  const template = msg(field(1, msg(field(11, msg(str(1, 'app'), str(2, 'web'))))), field(2, podSpec));
  const spec = msg(
    int(1, 0),
    field(2, msg(field(1, msg(str(1, 'app'), str(2, 'web'))))),
    field(3, template),
    field(4, msg()),
    int(5, 0),
  );
  const body = envelope('apps/v1', 'Deployment', msg(field(1, meta), field(2, spec), field(3, msg())));
  assert.deepEqual(decodeKubernetesProtobuf(body), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
      },
    },
  });
});

test('Secret bytes become base64; IntOrString targetPort resolves to its type', () => {
  const secret = envelope(
    'v1',
    'Secret',
    msg(field(1, msg(str(1, 's'))), field(2, msg(str(1, 'k'), field(2, Buffer.from('v')))), str(3, 'Opaque')),
  );
  assert.deepEqual(decodeKubernetesProtobuf(secret), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    data: { k: 'dg==' },
    type: 'Opaque',
  });
  const port = msg(str(1, 'http'), str(2, 'TCP'), int(3, 80), field(4, msg(int(1, 1), str(3, 'web'))));
  const svc = envelope('v1', 'Service', msg(field(1, msg(str(1, 'svc'))), field(2, msg(field(1, port)))));
  assert.deepEqual((decodeKubernetesProtobuf(svc) as any).spec.ports, [
    { name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' },
  ]);
});

test('unknown kinds and broken bodies are refused clearly', () => {
  assert.throws(
    () => decodeKubernetesProtobuf(envelope('certificates.k8s.io/v1', 'CertificateSigningRequest', msg())),
    ProtobufUnsupported,
  );
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"json":true}')), /envelope magic/);
  assert.throws(
    () => decodeKubernetesProtobuf(Buffer.concat([Buffer.from('k8s\0', 'binary'), Buffer.from([0x0a, 0x50])])),
    /truncated/,
  );
});
