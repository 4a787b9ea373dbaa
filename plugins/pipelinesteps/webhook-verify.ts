// step.webhook_verify: checks an HMAC-SHA256 webhook signature over the raw request body.
// provider stripe ("t=..,v1=.." with `tolerance`), github (X-Hub-Signature-256 "sha256=<hex>") or
// generic (`header`, hex or base64, optional "sha256=" prefix). The secret comes from `secret`
// (template) or the environment variable named by `secret_env`. A bad signature is a 401.
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ConfigValueError,
  durationOr,
  ValidationError,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { compile, oneOf, optString } from './step-config.ts';

export const webhookVerifySchema: TypeSchema = {
  description: 'Verifies an HMAC webhook signature (Stripe, GitHub or generic); 401 on mismatch',
  configFields: [
    { key: 'provider', type: 'select', options: ['generic', 'stripe', 'github'], default: 'generic' },
    { key: 'secret', type: 'string', description: 'signing secret (template)' },
    { key: 'secret_env', type: 'string', description: 'environment variable holding the secret' },
    { key: 'header', type: 'string', description: 'signature header (generic provider)', default: 'X-Signature' },
    { key: 'tolerance', type: 'duration', default: '5m', description: 'max timestamp age (stripe)' },
  ],
};

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export const createWebhookVerifyStep: StepFactory = (spec, ctx) => {
  const cfg = spec.config;
  const provider = oneOf(cfg, 'provider', ['generic', 'stripe', 'github'] as const, 'generic');
  const secretEnv = optString(cfg, 'secret_env');
  const secretTpl = cfg.secret !== undefined ? compile(ctx, String(cfg.secret), ['secret']) : undefined;
  if (!secretEnv && !secretTpl)
    throw new ConfigValueError('set "secret" or "secret_env"', { path: [], hint: 'secret_env: STRIPE_WEBHOOK_SECRET' });
  const header = (
    optString(cfg, 'header') ??
    (provider === 'stripe' ? 'Stripe-Signature' : provider === 'github' ? 'X-Hub-Signature-256' : 'X-Signature')
  ).toLowerCase();
  const toleranceMs = durationOr(cfg.tolerance, 300_000);
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const secret = secretEnv ? process.env[secretEnv] : String(secretTpl!.resolve(pc));
      if (!secret)
        throw new Error(
          `webhook_verify "${spec.name}": the signing secret is empty${secretEnv ? ` (set ${secretEnv})` : ''}`,
        );
      const body =
        pc.http?.rawBody ??
        Buffer.from(typeof pc.triggerData.request_body === 'string' ? pc.triggerData.request_body : '');
      const sigHeader = pc.http?.req.headers[header];
      const signature = Array.isArray(sigHeader) ? sigHeader[0] : sigHeader;
      if (!signature) throw new ValidationError(`missing signature header ${header}`, 401);
      const hmac = (data: string | Buffer) => createHmac('sha256', secret).update(data).digest();
      if (provider === 'stripe') {
        const parts = Object.fromEntries(signature.split(',').map((p) => p.split('=', 2) as [string, string]));
        const t = Number(parts.t);
        if (!Number.isFinite(t) || !parts.v1) throw new ValidationError('malformed Stripe-Signature header', 401);
        if (Math.abs(Date.now() - t * 1000) > toleranceMs)
          throw new ValidationError('webhook timestamp outside the tolerance window', 401);
        const expected = hmac(Buffer.concat([Buffer.from(`${t}.`), body]));
        if (!safeEqual(expected, Buffer.from(parts.v1, 'hex')))
          throw new ValidationError('webhook signature mismatch', 401);
      } else {
        const raw = signature.replace(/^sha256=/, '');
        const expected = hmac(body);
        const given = /^[0-9a-f]+$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
        if (!safeEqual(expected, given)) throw new ValidationError('webhook signature mismatch', 401);
      }
      return { output: { verified: true, provider } };
    },
  };
};
