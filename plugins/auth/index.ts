// plugins/auth: auth.jwt (HS256 tokens, users, the /auth/* endpoints, AuthProvider).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createJwtAuth, jwtAuthSchema } from './jwt-auth.ts';

export const authPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'auth.jwt': createJwtAuth },
  moduleSchemas: { 'auth.jwt': jwtAuthSchema },
};

export { JwtAuthModule } from './jwt-auth.ts';
export { signHs256, verifyHs256, type JwtClaims } from './jwt.ts';
export { hashPassword, verifyPassword, isBcryptHash } from './password.ts';
