// Push webhooks that trigger a sync: GitHub (`X-Hub-Signature-256: sha256=<hex>`), Gitea/Forgejo
// (`X-Gitea-Signature`/`X-Forgejo-Signature: <hex>`), GitLab (`X-Gitlab-Token: <secret>`, no HMAC:
// GitLab sends the secret itself) and our own git server (GitHub's format). The HMAC-SHA256 is over
// the raw body; every comparison is constant-time. Used by the registry and the operator's /hooks/git.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type WebhookVerdict = { ok: true } | { ok: false; status: 401; error: string; hint: string };

export function signBody(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifyWebhook(secret: string | undefined, headers: IncomingHttpHeaders, body: Buffer): WebhookVerdict {
  if (!secret) return { ok: true };
  const gitlab = header(headers, 'x-gitlab-token');
  if (gitlab !== undefined) {
    const a = createHmac('sha256', 'gitlab').update(gitlab).digest();
    const b = createHmac('sha256', 'gitlab').update(secret).digest();
    return timingSafeEqual(a, b)
      ? { ok: true }
      : {
          ok: false,
          status: 401,
          error: 'webhook token does not match',
          hint: "the secret token configured on the GitLab webhook differs from the receiver's secret",
        };
  }
  const github = header(headers, 'x-hub-signature-256');
  const gitea = header(headers, 'x-gitea-signature') ?? header(headers, 'x-forgejo-signature');
  const given = github?.replace(/^sha256=/, '') ?? gitea;
  if (!given)
    return {
      ok: false,
      status: 401,
      error: 'missing webhook signature',
      hint: 'configure the webhook with the shared secret (X-Hub-Signature-256)',
    };
  const expected = createHmac('sha256', secret).update(body).digest();
  const actual = Buffer.from(given, 'hex');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    return {
      ok: false,
      status: 401,
      error: 'webhook signature does not match',
      hint: 'the secret configured on the sender differs from --webhook-secret',
    };
  }
  return { ok: true };
}

/** Which kind of sender a request comes from, by its headers (for logs and metrics). */
export function webhookProvider(headers: IncomingHttpHeaders): 'github' | 'gitea' | 'gitlab' | 'unknown' {
  if (headers['x-gitlab-token'] !== undefined || headers['x-gitlab-event'] !== undefined) return 'gitlab';
  if (headers['x-gitea-signature'] !== undefined || headers['x-gitea-event'] !== undefined) return 'gitea';
  if (headers['x-forgejo-signature'] !== undefined || headers['x-forgejo-event'] !== undefined) return 'gitea';
  if (headers['x-hub-signature-256'] !== undefined || headers['x-github-event'] !== undefined) return 'github';
  return 'unknown';
}

/** The branch a push event is for, when the payload says (GitHub, Gitea and ours all send `ref`). */
export function pushedBranch(body: Buffer): string | undefined {
  try {
    const ref = (JSON.parse(body.toString('utf8')) as { ref?: unknown }).ref;
    return typeof ref === 'string' && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  } catch {
    return undefined;
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
