// ServiceAccount tokens: JWTs signed with the cluster's service-account key (ES256, kept in
// pki/service-account.key), in the two shapes kube-apiserver issues and accepts:
// - bound tokens (TokenRequest, `kubectl create token`, projected volumes): audience, expiry, and
//   optionally the Pod or Secret they are bound to, under the "kubernetes.io" claim;
// - legacy tokens stored in `kubernetes.io/service-account-token` Secrets, which never expire.
// Signing and verification go through `jose`; whether the account (and bound object, or Secret)
// still exists is the authenticator's check.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';

/** The issuer and default audience of bound tokens, as in a kubeadm or k3s cluster. */
export const API_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
}

/** What a verified token says; the authenticator still checks the objects exist. */
export interface TokenClaims {
  legacy: boolean;
  namespace: string;
  serviceAccount: { name: string; uid: string };
  /** Legacy tokens: the Secret holding them. */
  secretName?: string;
  boundObject?: BoundObject;
  jti?: string;
  expiresAt?: number;
}

export class ServiceAccountTokens {
  private readonly publicKey: KeyObject;

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = createPublicKey(privateKey);
  }

  /** Loads pki/service-account.key, creating it (EC P-256, mode 0600) on first start. */
  static forDataDir(dataDir: string): ServiceAccountTokens {
    const file = join(dataDir, 'pki', 'service-account.key');
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    return new ServiceAccountTokens(createPrivateKey(readFileSync(file, 'utf8')));
  }

  async issueBound(req: BoundTokenRequest, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + req.expirationSeconds;
    const kube: Record<string, unknown> = {
      namespace: req.namespace,
      serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid },
    };
    if (req.boundObject)
      kube[req.boundObject.kind.toLowerCase()] = { name: req.boundObject.name, uid: req.boundObject.uid };
    const token = await new SignJWT({ 'kubernetes.io': kube })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(API_AUDIENCE)
      .setSubject(`system:serviceaccount:${req.namespace}:${req.serviceAccount.name}`)
      .setAudience(req.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresAt: exp * 1000 };
  }

  async issueLegacy(
    namespace: string,
    serviceAccount: { name: string; uid: string },
    secretName: string,
  ): Promise<string> {
    return new SignJWT({
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secretName,
      'kubernetes.io/serviceaccount/service-account.name': serviceAccount.name,
      'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.uid,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(LEGACY_ISSUER)
      .setSubject(`system:serviceaccount:${namespace}:${serviceAccount.name}`)
      .sign(this.privateKey);
  }

  /** The claims of a token this cluster signed for the API server, or undefined. */
  async verify(token: string, now = Date.now()): Promise<TokenClaims | undefined> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, { algorithms: ['ES256'], currentDate: new Date(now) }));
    } catch {
      return undefined;
    }
    if (payload.iss === LEGACY_ISSUER) {
      const claim = (k: string) => payload[`kubernetes.io/serviceaccount/${k}`];
      const namespace = claim('namespace');
      const name = claim('service-account.name');
      const uid = claim('service-account.uid');
      const secretName = claim('secret.name');
      if (typeof namespace !== 'string' || typeof name !== 'string' || typeof uid !== 'string') return undefined;
      if (typeof secretName !== 'string') return undefined;
      return { legacy: true, namespace, serviceAccount: { name, uid }, secretName };
    }
    if (payload.iss !== API_AUDIENCE) return undefined;
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(API_AUDIENCE)) return undefined;
    const kube = payload['kubernetes.io'] as
      | {
          namespace?: string;
          serviceaccount?: { name?: string; uid?: string };
          pod?: { name: string; uid: string };
          secret?: { name: string; uid: string };
          node?: { name: string; uid: string };
        }
      | undefined;
    const sa = kube?.serviceaccount;
    if (!kube?.namespace || !sa?.name || !sa.uid) return undefined;
    const bound = kube.pod
      ? { kind: 'Pod' as const, ...kube.pod }
      : kube.secret
        ? { kind: 'Secret' as const, ...kube.secret }
        : kube.node
          ? { kind: 'Node' as const, ...kube.node }
          : undefined;
    return {
      legacy: false,
      namespace: kube.namespace,
      serviceAccount: { name: sa.name, uid: sa.uid },
      boundObject: bound,
      jti: payload.jti,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    };
  }
}
