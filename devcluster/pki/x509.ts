// Self-signed CA and leaf certificates (ECDSA P-256, SHA-256) built with node:crypto alone:
// node can sign and parse but not create X.509, so the TBSCertificate is assembled with der.ts.
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.ts';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

export interface LeafOptions {
  commonName: string;
  /** DNS names and IP addresses for subjectAltName; IPs are recognised automatically. */
  hosts: string[];
  validDays?: number;
  usage?: Array<'server' | 'client'>;
}

const DAY_MS = 86_400_000;

export function createCertificateAuthority(commonName: string, validDays = 3650): CertificateAndKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = distinguishedName(commonName, 'devcluster');
  const keyId = keyIdentifier(spki);
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    // keyCertSign (bit 5) + cRLSign (bit 6) + digitalSignature (bit 0)
    extension(OID.keyUsage, true, der.tlv(0x03, Buffer.from([0x01, 0x86]))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
  ];
  return {
    certPem: buildCertificate({ issuer: name, subject: name, spki, extensions, validDays, signer: privateKey }),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function issueCertificate(ca: CertificateAndKey, options: LeafOptions): CertificateAndKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const caCert = new X509Certificate(ca.certPem);
  const caSpki = caCert.publicKey.export({ type: 'spki', format: 'der' });
  const usages = options.usage ?? ['server'];
  const altNames = options.hosts.map((host) =>
    isIP(host) ? der.implicit(7, ipBytes(host)) : der.implicit(2, Buffer.from(host, 'ascii')),
  );
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    // digitalSignature (bit 0) + keyEncipherment (bit 2)
    extension(OID.keyUsage, true, der.tlv(0x03, Buffer.from([0x05, 0xa0]))),
    extension(
      OID.extKeyUsage,
      false,
      der.sequence(...usages.map((u) => der.objectIdentifier(u === 'server' ? OID.serverAuth : OID.clientAuth))),
    ),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spki))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, keyIdentifier(caSpki)))),
  ];
  if (altNames.length > 0) extensions.push(extension(OID.subjectAltName, false, der.sequence(...altNames)));
  return {
    certPem: buildCertificate({
      issuer: subjectOf(caCert),
      subject: distinguishedName(options.commonName),
      spki,
      extensions,
      validDays: options.validDays ?? 825,
      signer: createPrivateKey(ca.keyPem),
    }),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** True when `certPem` is currently valid, signed by `caPem` and covers every host in `hosts`. */
export function certificateCovers(certPem: string, caPem: string, hosts: string[], minRemainingDays = 30): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < minRemainingDays * DAY_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

function buildCertificate(p: {
  issuer: Buffer;
  subject: Buffer;
  spki: Buffer;
  extensions: Buffer[];
  validDays: number;
  signer: KeyObject;
}): string {
  const algorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const now = Date.now();
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(2)),
    der.unsignedInteger(serial),
    algorithm,
    p.issuer,
    // back-dated an hour so a slightly slow client clock still accepts a fresh certificate
    der.sequence(der.time(new Date(now - 3_600_000)), der.time(new Date(now + p.validDays * DAY_MS))),
    p.subject,
    p.spki,
    der.explicit(3, der.sequence(...p.extensions)),
  );
  const signature = sign('sha256', tbs, p.signer);
  const certificate = der.sequence(tbs, algorithm, der.bitString(signature));
  const base64 = certificate
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

function distinguishedName(commonName: string, organization?: string): Buffer {
  const rdns = [];
  if (organization)
    rdns.push(der.set(der.sequence(der.objectIdentifier(OID.organization), der.utf8String(organization))));
  rdns.push(der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(commonName))));
  return der.sequence(...rdns);
}

/** The issuer of a leaf must be byte-identical to the CA's subject, so copy it from the CA's DER. */
function subjectOf(cert: X509Certificate): Buffer {
  const [certificate] = readElements(cert.raw);
  const [tbs] = readElements(certificate!.value);
  const fields = readElements(tbs!.value);
  // v3 certificates start with the [0] version: version, serial, signature, issuer, validity, subject
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0;
  return fields[offset + 4]!.encoded;
}

/** The DER elements laid end to end in `content` (one level, no recursion). */
function readElements(content: Buffer): Array<{ tag: number; value: Buffer; encoded: Buffer }> {
  const out = [];
  let i = 0;
  while (i < content.length) {
    const start = i;
    const tag = content[i++]!;
    let length = content[i++]!;
    if (length & 0x80) {
      const n = length & 0x7f;
      length = 0;
      for (let k = 0; k < n; k++) length = length * 256 + content[i++]!;
    }
    out.push({ tag, value: content.subarray(i, i + length), encoded: content.subarray(start, i + length) });
    i += length;
  }
  return out;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.objectIdentifier(oid), der.boolean(true), der.octetString(value))
    : der.sequence(der.objectIdentifier(oid), der.octetString(value));
}

function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest();
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return Buffer.from(groups.flatMap((g: string) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
