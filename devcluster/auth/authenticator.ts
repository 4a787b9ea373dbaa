// Who a bearer token belongs to, in the order kube-apiserver's authenticators try them:
// - the admin token of the kubeconfig written at start (system:masters: always cluster-admin);
// - static tokens from a token file (kube-apiserver's --token-auth-file CSV: token,user,uid,"groups");
// - ServiceAccount tokens this cluster signed: bound ones (TokenRequest) while they are unexpired and
//   their account (and bound Pod or Secret) still exists with the same uid, legacy ones while their
//   Secret still holds them.
// A token's signature is checked once and remembered; existence is checked on every request (an
// in-memory read), so deleting an account or its Secret revokes its tokens at once.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { UserInfo } from '../admission/admission.ts';
import type { ObjectApi } from '../api/object-api.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { ServiceAccountTokens, TokenClaims } from './service-account-tokens.ts';

export const SA_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
const VERIFIED_CACHE_SIZE = 10_000;

export interface StaticUser extends UserInfo {
  token: string;
}

/** Parses kube-apiserver's token auth file: `token,user,uid[,"group1,group2"]` per line. */
export function parseTokenFile(text: string, file: string): StaticUser[] {
  const users: StaticUser[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const fields = csvFields(line);
    const [token, username, uid, groups] = fields;
    if (!token || !username)
      throw new Error(
        `${file}:${i + 1}: expected token,user,uid[,"group1,group2"] (kube-apiserver's token file format)`,
      );
    users.push({
      token,
      username,
      uid: uid || undefined,
      groups: [
        ...(groups
          ? groups
              .split(',')
              .map((g) => g.trim())
              .filter(Boolean)
          : []),
        'system:authenticated',
      ],
    });
  });
  return users;
}

/** One CSV line's fields ("" quotes a field that holds commas, "" inside quotes is a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field.trim());
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field.trim());
  return fields;
}

export function readTokenFile(file: string): StaticUser[] {
  return parseTokenFile(readFileSync(file, 'utf8'), file);
}

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    ...(uid ? { uid } : {}),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

export class Authenticator {
  private readonly adminToken: Buffer;
  private readonly staticUsers = new Map<string, UserInfo>();
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly opts: {
      adminToken: string;
      admin: UserInfo;
      tokens: ServiceAccountTokens;
      api: () => ObjectApi;
      catalog: ResourceCatalog;
      staticUsers?: StaticUser[];
      now?: () => number;
    },
  ) {
    this.adminToken = Buffer.from(opts.adminToken);
    for (const { token, ...user } of opts.staticUsers ?? []) this.staticUsers.set(token, user);
  }

  async authenticate(authorization: string | undefined): Promise<UserInfo | undefined> {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const token = m[1]!.trim();
    const given = Buffer.from(token);
    if (given.length === this.adminToken.length && timingSafeEqual(given, this.adminToken)) return this.opts.admin;
    const user = this.staticUsers.get(token);
    if (user) return user;
    if (token.split('.').length !== 3) return undefined;
    const now = (this.opts.now ?? Date.now)();
    let claims = this.verified.get(token);
    if (!claims) {
      claims = await this.opts.tokens.verify(token, now);
      if (!claims) return undefined;
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    if (claims.expiresAt !== undefined && claims.expiresAt <= now) {
      this.verified.delete(token);
      return undefined;
    }
    return this.stillValid(token, claims);
  }

  /** The account, its bound object or its Secret must still exist, with the uids the token names. */
  private stillValid(token: string, claims: TokenClaims): UserInfo | undefined {
    const api = this.opts.api();
    const get = (plural: string, name: string) =>
      api.tryGet(this.opts.catalog.lookup('', 'v1', plural)!, claims.namespace, name);
    const sa = get('serviceaccounts', claims.serviceAccount.name);
    if (!sa || sa.metadata.uid !== claims.serviceAccount.uid) return undefined;
    const user = serviceAccountUser(claims.namespace, claims.serviceAccount.name, claims.serviceAccount.uid);
    if (claims.legacy) {
      const secret = get('secrets', claims.secretName!);
      const stored = (secret?.data as Record<string, string> | undefined)?.token;
      if (secret?.type !== SA_TOKEN_SECRET_TYPE || !stored || Buffer.from(stored, 'base64').toString() !== token)
        return undefined;
      return user;
    }
    const extra: Record<string, string[]> = {};
    if (claims.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${claims.jti}`];
    const bound = claims.boundObject;
    if (bound && bound.kind !== 'Node') {
      const obj = get(bound.kind === 'Pod' ? 'pods' : 'secrets', bound.name);
      if (!obj || obj.metadata.uid !== bound.uid) return undefined;
      if (bound.kind === 'Pod') {
        extra['authentication.kubernetes.io/pod-name'] = [bound.name];
        extra['authentication.kubernetes.io/pod-uid'] = [bound.uid];
      }
    }
    return Object.keys(extra).length ? { ...user, extra } : user;
  }
}
