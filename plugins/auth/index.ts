// plugins/auth: auth.jwt (HS256 tokens, users, the /auth/* endpoints, AuthProvider),
// auth.token-blacklist (revoked token ids that every auth.jwt of the app refuses), auth.m2m
// (machine-to-machine OAuth2 token issuing), auth.oauth2 (login with an OAuth2 provider),
// auth.user-store (users several auth modules share) and security.field-protection (encrypted PII/PHI fields).
import type { EnginePlugin, WiringHook } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createJwtAuth, JwtAuthModule, jwtAuthSchema } from './jwt-auth.ts';
import { createM2MAuth, m2mAuthSchema } from './m2m-auth.ts';
import { createOAuth2, OAuth2Module, oauth2Schema } from './oauth2-login.ts';
import { createUserStore, userStoreSchema } from './user-store-module.ts';
import { createFieldProtection, fieldProtectionSchema } from './field-protection.ts';
import { createTokenBlacklist, TokenBlacklistModule, tokenBlacklistSchema } from './token-blacklist.ts';

/** A wiring hook that hands the app's first `Source` module to every `Target` module. */
function wireFirst<S, T>(
  name: string,
  priority: number,
  Source: abstract new (...args: never[]) => S,
  Target: abstract new (...args: never[]) => T,
  wire: (target: T, source: S) => void,
): WiringHook {
  return {
    name,
    priority,
    run(app) {
      const services = app.services.names().map((n) => app.services.get(n));
      const source = services.find((s): s is S => s instanceof Source);
      if (source === undefined) return;
      for (const s of services) if (s instanceof Target) wire(s as T, source);
    },
  };
}

export const authPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'auth.jwt': createJwtAuth,
    'auth.token-blacklist': createTokenBlacklist,
    'auth.m2m': createM2MAuth,
    'auth.oauth2': createOAuth2,
    'auth.user-store': createUserStore,
    'security.field-protection': createFieldProtection,
  },
  moduleSchemas: {
    'auth.jwt': jwtAuthSchema,
    'auth.token-blacklist': tokenBlacklistSchema,
    'auth.m2m': m2mAuthSchema,
    'auth.oauth2': oauth2Schema,
    'auth.user-store': userStoreSchema,
    'security.field-protection': fieldProtectionSchema,
  },
  wiringHooks: [
    // as upstream: every auth.oauth2 issues its tokens (and keeps its users) with the app's first auth.jwt
    wireFirst('oauth2-jwt-wiring', 60, JwtAuthModule, OAuth2Module, (oauth2, jwt) => oauth2.useJwt(jwt)),
    // as upstream: the app's first blacklist guards every auth.jwt
    wireFirst('token-blacklist-wiring', 70, TokenBlacklistModule, JwtAuthModule, (jwt, bl) => jwt.useBlacklist(bl)),
  ],
};

export { JwtAuthModule } from './jwt-auth.ts';
export { FieldProtectionCap, type FieldProtection } from './field-protection.ts';
export { TokenBlacklistCap, type TokenBlacklist } from './token-blacklist.ts';
export { signHs256, verifyHs256, type JwtClaims } from './jwt.ts';
export { hashPassword, verifyPassword, isBcryptHash } from './password.ts';
