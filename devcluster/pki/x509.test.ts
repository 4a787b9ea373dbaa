import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { certificateCovers, createCertificateAuthority, issueCertificate } from './x509.ts';

test('a CA and a serving certificate that a real TLS client verifies (IP and DNS names)', async () => {
  const ca = createCertificateAuthority('test-ca');
  const leaf = issueCertificate(ca, { commonName: 'svc', hosts: ['127.0.0.1', 'webhook.team.svc'] });
  const cert = new X509Certificate(leaf.certPem);
  assert.ok(cert.verify(new X509Certificate(ca.certPem).publicKey));
  assert.equal(new X509Certificate(ca.certPem).ca, true);
  assert.equal(cert.ca, false);
  assert.ok(certificateCovers(leaf.certPem, ca.certPem, ['127.0.0.1', 'webhook.team.svc']));
  assert.equal(certificateCovers(leaf.certPem, ca.certPem, ['other.example.com']), false);
  assert.equal(certificateCovers(leaf.certPem, createCertificateAuthority('x').certPem, ['127.0.0.1']), false);

  const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    const get = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        request({ host: '127.0.0.1', port, ca: ca.certPem, servername, path: '/' }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
    assert.equal(await get('webhook.team.svc'), 'ok');
    await assert.rejects(get('wrong.name'), /altnames|does not match/);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
