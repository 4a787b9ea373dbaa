// The data dir's credentials: a CA made on first start and kept, a serving certificate reissued when
// it no longer covers the server's addresses, and the bearer token. Files are 0600, the dir 0700.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../../security/index.ts';
import { certificateCovers, createCertificateAuthority, issueCertificate, type CertificateAndKey } from './x509.ts';

export interface ClusterCredentials {
  ca: CertificateAndKey;
  serving: CertificateAndKey;
  token: string;
}

export const SERVING_HOSTS = [
  '127.0.0.1',
  'localhost',
  '::1',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

function readPair(dir: string, name: string): CertificateAndKey | undefined {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function writePair(dir: string, name: string, pair: CertificateAndKey): void {
  writePrivateFile(join(dir, `${name}.crt`), pair.certPem);
  writePrivateFile(join(dir, `${name}.key`), pair.keyPem);
}

export function loadOrCreateCredentials(dataDir: string): ClusterCredentials {
  const dir = join(dataDir, 'pki');
  ensurePrivateDir(dir);
  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = createCertificateAuthority('devcluster-ca');
    writePair(dir, 'ca', ca);
  }
  let serving = readPair(dir, 'apiserver');
  if (!serving || !certificateCovers(serving.certPem, ca.certPem, SERVING_HOSTS)) {
    serving = issueCertificate(ca, { commonName: 'kube-apiserver', hosts: SERVING_HOSTS, usage: ['server'] });
    writePair(dir, 'apiserver', serving);
  }
  const tokenFile = join(dataDir, 'token');
  let token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  if (!token) {
    token = randomBytes(32).toString('base64url');
    writePrivateFile(tokenFile, token + '\n');
  }
  return { ca, serving, token };
}
