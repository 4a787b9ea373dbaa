// http.middleware.auth: requires `Authorization: <authType> <token>` (default Bearer) and asks the
// app's auth providers (auth.jwt, ...) to verify it; with no provider, a `secretKey` verifies HS256
// JWTs locally. Verified claims are attached to the request (getRequestClaims).
import {
  AuthProviderCap,
  setRequestClaims,
  type AppContext,
  type AuthProvider,
  type ConfigMap,
  type HttpHandlerFn,
  type HttpMiddleware,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../../engine/index.ts';
import { writeError } from '../http-io.ts';
import { verifyHs256 } from './jwt-hs256.ts';

export const authMiddlewareSchema: TypeSchema = {
  description: 'Rejects requests without a valid credential (401)',
  configFields: [
    { key: 'authType', type: 'string', default: 'Bearer', description: 'scheme expected in the Authorization header' },
    {
      key: 'provider',
      type: 'string',
      description: 'name of the auth provider module (default: every provider in the app)',
    },
    { key: 'secretKey', type: 'string', description: 'HS256 secret used when the app has no auth provider module' },
  ],
};

export class AuthMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.auth';
  private providers: AuthProvider[] = [];
  private readonly scheme: string;

  constructor(
    readonly name: string,
    private readonly config: ConfigMap,
  ) {
    this.scheme = typeof config.authType === 'string' && config.authType !== '' ? config.authType : 'Bearer';
  }

  start(app: AppContext): void {
    // resolved at start so providers registered by any module's init are visible
    if (typeof this.config.provider === 'string')
      this.providers = [
        app.services.require<AuthProvider>(this.config.provider, `http.middleware.auth "${this.name}"`),
      ];
    else this.providers = app.services.findAll(AuthProviderCap).map((p) => p.service);
  }

  private async verify(token: string): Promise<{ ok: true; claims: ConfigMap } | { ok: false; reason: string }> {
    let last = 'no auth provider is configured';
    for (const p of this.providers) {
      const r = await p.authenticate(token);
      if (r.ok) return r;
      last = r.reason;
    }
    if (this.providers.length === 0 && typeof this.config.secretKey === 'string' && this.config.secretKey !== '')
      return verifyHs256(token, this.config.secretKey);
    return { ok: false, reason: last };
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    const prefix = this.scheme.toLowerCase() + ' ';
    const challenge = `${this.scheme} realm="workflow"`;
    return async (req, res, params) => {
      const header = req.headers.authorization;
      if (!header?.toLowerCase().startsWith(prefix)) {
        writeError(res, 401, `missing ${this.scheme} credentials in the Authorization header`, {
          'WWW-Authenticate': challenge,
        });
        return;
      }
      const result = await this.verify(header.slice(prefix.length).trim());
      if (!result.ok) {
        writeError(res, 401, `unauthorized: ${result.reason}`, {
          'WWW-Authenticate': `${challenge}, error="invalid_token"`,
        });
        return;
      }
      setRequestClaims(req, result.claims);
      return next(req, res, params);
    };
  }
}

export const createAuthMiddleware: ModuleFactory = (spec) => new AuthMiddleware(spec.name, spec.config);
