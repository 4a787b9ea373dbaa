// plugins/auth: auth.jwt (HS256 tokens, users, the /auth/* endpoints, AuthProvider),
// auth.token-blacklist (revoked token ids that every auth.jwt of the app refuses), auth.m2m
// (machine-to-machine OAuth2 token issuing), auth.oauth2 (login with an OAuth2 provider) and
// auth.user-store (users several auth modules share).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createJwtAuth, JwtAuthModule, jwtAuthSchema } from './jwt-auth.ts';
import { createM2MAuth, m2mAuthSchema } from './m2m-auth.ts';
import { createOAuth2, OAuth2Module, oauth2Schema } from './oauth2-login.ts';
import { createUserStore, userStoreSchema } from './user-store-module.ts';
import { createTokenBlacklist, TokenBlacklistModule, tokenBlacklistSchema } from './token-blacklist.ts';

export const authPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: {
    'auth.jwt': createJwtAuth,
    'auth.token-blacklist': createTokenBlacklist,
    'auth.m2m': createM2MAuth,
    'auth.oauth2': createOAuth2,
    'auth.user-store': createUserStore,
  },
  moduleSchemas: {
    'auth.jwt': jwtAuthSchema,
    'auth.token-blacklist': tokenBlacklistSchema,
    'auth.m2m': m2mAuthSchema,
    'auth.oauth2': oauth2Schema,
    'auth.user-store': userStoreSchema,
  },
  wiringHooks: [
    {
      // as upstream: every auth.oauth2 issues its tokens (and keeps its users) with the app's first auth.jwt
      name: 'oauth2-jwt-wiring',
      priority: 60,
      run(app) {
        const services = app.services.names().map((n) => app.services.get(n));
        const jwt = services.find((s): s is JwtAuthModule => s instanceof JwtAuthModule);
        if (!jwt) return;
        for (const s of services) if (s instanceof OAuth2Module) s.useJwt(jwt);
      },
    },
    {
      // as upstream: the first blacklist of the app guards every auth.jwt
      name: 'token-blacklist-wiring',
      priority: 70,
      run(app) {
        const services = app.services.names().map((n) => app.services.get(n));
        const blacklist = services.find((s): s is TokenBlacklistModule => s instanceof TokenBlacklistModule);
        if (!blacklist) return;
        for (const s of services) if (s instanceof JwtAuthModule) s.useBlacklist(blacklist);
      },
    },
  ],
};

export { JwtAuthModule } from './jwt-auth.ts';
export { TokenBlacklistCap, type TokenBlacklist } from './token-blacklist.ts';
export { signHs256, verifyHs256, type JwtClaims } from './jwt.ts';
export { hashPassword, verifyPassword, isBcryptHash } from './password.ts';
