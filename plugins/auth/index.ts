// plugins/auth: auth.jwt (HS256 tokens, users, the /auth/* endpoints, AuthProvider),
// auth.token-blacklist (revoked token ids that every auth.jwt of the app refuses) and auth.m2m
// (machine-to-machine OAuth2 token issuing).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createJwtAuth, JwtAuthModule, jwtAuthSchema } from './jwt-auth.ts';
import { createM2MAuth, m2mAuthSchema } from './m2m-auth.ts';
import { createTokenBlacklist, TokenBlacklistModule, tokenBlacklistSchema } from './token-blacklist.ts';

export const authPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'auth.jwt': createJwtAuth, 'auth.token-blacklist': createTokenBlacklist, 'auth.m2m': createM2MAuth },
  moduleSchemas: {
    'auth.jwt': jwtAuthSchema,
    'auth.token-blacklist': tokenBlacklistSchema,
    'auth.m2m': m2mAuthSchema,
  },
  wiringHooks: [
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
