// The auth steps (upstream module/pipeline_step_auth_validate.go, pipeline_step_token_revoke.go):
//   step.auth_validate — `auth_module`* (an AuthProvider: auth.jwt, auth.m2m), `token_source`* (dotted
//     path to the Authorization header value, e.g. steps.parse.headers.Authorization), `subject_field`
//     (auth_user_id). A valid "Bearer <token>" outputs its claims plus <subject_field> = sub; otherwise
//     the step answers 401 {"error": "unauthorized", "message"} and stops the pipeline.
//   step.token_revoke — `blacklist_module`* (auth.token-blacklist), `token_source`*: puts the token's
//     jti on the blacklist until its exp → {revoked: true, jti}, or {revoked: false, error} for a
//     missing, malformed or jti-less token (not an error, as upstream).
import { decodeJwt } from 'jose';
import {
  AuthProviderCap,
  type ConfigMap,
  type PipelineContext,
  type StepFactory,
  type StepResult,
  type TypeSchema,
} from '../../engine/index.ts';
import { TokenBlacklistCap } from '../auth/index.ts';
import { writeJson } from '../http/index.ts';
import { ConfigReader, checkedBy, moduleRef } from '../support/index.ts';
import { markHandled } from './json-response.ts';

function parseAuthValidate(config: ConfigMap) {
  const cfg = new ConfigReader(config);
  return {
    authModule: cfg.requiredString('auth_module', 'auth_module: the auth.jwt or auth.m2m module that checks tokens'),
    tokenSource: cfg.requiredString('token_source', 'token_source: steps.parse.headers.Authorization'),
    subjectField: cfg.string('subject_field') || 'auth_user_id',
  };
}

export const authValidateSchema: TypeSchema = {
  description: 'Validates a bearer token with an auth module; 401 and stop when it is not valid',
  configFields: [
    { key: 'auth_module', type: 'string', required: true, description: 'auth.jwt or auth.m2m module' },
    {
      key: 'token_source',
      type: 'string',
      required: true,
      description: 'dotted path to "Bearer <token>", e.g. steps.parse.headers.Authorization',
    },
    { key: 'subject_field', type: 'string', default: 'auth_user_id', description: 'output key for the sub claim' },
  ],
  outputs: [
    { key: '*', type: 'any', description: "the token's claims" },
    { key: 'auth_user_id', type: 'string', description: 'the sub claim (named by subject_field)' },
  ],
  validate: checkedBy(parseAuthValidate),
};

function unauthorized(pc: PipelineContext, message: string): StepResult {
  if (pc.http) {
    writeJson(pc.http.res, 401, { error: 'unauthorized', message }, { 'WWW-Authenticate': 'Bearer' });
    markHandled(pc);
  }
  return { output: { status: 401, error: 'unauthorized', message }, stop: true };
}

export const createAuthValidateStep: StepFactory = (spec, ctx) => {
  const c = parseAuthValidate(spec.config);
  const provider = moduleRef(ctx, spec, c.authModule, 'auth module', AuthProviderCap);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const header = ctx.templates.lookup(pc, c.tokenSource);
      if (typeof header !== 'string' || header === '') return unauthorized(pc, 'missing or empty authorization header');
      if (!header.startsWith('Bearer ')) return unauthorized(pc, 'malformed authorization header');
      const token = header.slice('Bearer '.length);
      if (token === '') return unauthorized(pc, 'empty bearer token');
      let result: Awaited<ReturnType<ReturnType<typeof provider>['authenticate']>>;
      try {
        result = await provider().authenticate(token);
      } catch {
        return unauthorized(pc, 'authentication error');
      }
      if (!result.ok) return unauthorized(pc, 'invalid token');
      const output: ConfigMap = { ...result.claims };
      if (result.claims.sub !== undefined) output[c.subjectField] = result.claims.sub;
      return { output };
    },
  };
};

function parseTokenRevoke(config: ConfigMap) {
  const cfg = new ConfigReader(config);
  return {
    blacklist: cfg.requiredString('blacklist_module', 'blacklist_module: an auth.token-blacklist module'),
    tokenSource: cfg.requiredString('token_source', 'token_source: steps.parse.headers.Authorization'),
  };
}

export const tokenRevokeSchema: TypeSchema = {
  description: "Revokes a JWT: its jti goes on an auth.token-blacklist until the token's expiry",
  configFields: [
    { key: 'blacklist_module', type: 'string', required: true, description: 'auth.token-blacklist module' },
    { key: 'token_source', type: 'string', required: true, description: 'dotted path to the token (Bearer optional)' },
  ],
  outputs: [
    { key: 'revoked', type: 'boolean' },
    { key: 'jti', type: 'string' },
    { key: 'error', type: 'string', description: 'why nothing was revoked' },
  ],
  validate: checkedBy(parseTokenRevoke),
};

/** Tokens without an exp are kept on the blacklist this long (upstream's fallback). */
const NO_EXPIRY_FALLBACK_MS = 24 * 3600_000;

export const createTokenRevokeStep: StepFactory = (spec, ctx) => {
  const c = parseTokenRevoke(spec.config);
  const blacklist = moduleRef(ctx, spec, c.blacklist, 'token blacklist', TokenBlacklistCap);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const raw = ctx.templates.lookup(pc, c.tokenSource);
      if (typeof raw !== 'string' || raw === '') return { output: { revoked: false, error: 'missing token' } };
      let claims: ReturnType<typeof decodeJwt>;
      try {
        // not verified: the token is being given up, not trusted (as upstream)
        claims = decodeJwt(raw.replace(/^Bearer /, ''));
      } catch {
        return { output: { revoked: false, error: 'invalid token format' } };
      }
      if (typeof claims.jti !== 'string' || claims.jti === '')
        return { output: { revoked: false, error: 'token has no jti claim' } };
      const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + NO_EXPIRY_FALLBACK_MS;
      await blacklist().add(claims.jti, expiresAt);
      return { output: { revoked: true, jti: claims.jti } };
    },
  };
};
