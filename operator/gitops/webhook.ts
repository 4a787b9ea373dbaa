// POST /hooks/git on the operator's HTTP server: a push from GitHub, Gitea, GitLab or `wfctl git
// serve --notify` syncs every WorkflowSource whose repoURL names the pushed repository, at once.
// The signature is checked by registry-index's verifyWebhook (the one webhook check of the
// project); a bad one gets 401 and syncs nothing. Pure parts (which URLs a payload names, whether
// a source matches) are apart from the HTTP shell.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyWebhook, webhookProvider } from '../../registry-index/index.ts';

export const hookPath = '/hooks/git';
const maxBody = 25 * 1024 * 1024;

/**
 * A repo URL reduced to what identifies the repository: host and path, no scheme, credentials, port 80/443
 * or `.git`.
 */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim();
  const scp = /^([^@/:]+@)?([^/:]+):(?!\/)(.+)$/.exec(u); // git@github.com:org/repo.git
  if (scp && !/^[a-z]+:\/\//i.test(u)) u = `ssh://${scp[2]}/${scp[3]}`;
  try {
    const parsed = new URL(u);
    const host = parsed.hostname.toLowerCase();
    const port = parsed.port && !['80', '443', '22'].includes(parsed.port) ? `:${parsed.port}` : '';
    return `${host}${port}${parsed.pathname.replace(/\/+$/, '').replace(/\.git$/, '')}`.toLowerCase();
  } catch {
    return u.replace(/\/+$/, '').replace(/\.git$/, '');
  }
}

export interface PushEvent {
  /** Every URL the payload gives for the repository. */
  urls: string[];
  /** refs/heads/main, refs/tags/v1, ... when the payload says. */
  ref?: string;
  /** The commit the ref now points at (GitHub, Gitea, GitLab and wfctl git serve send `after`). */
  after?: string;
}

/** The repository URLs and ref of a GitHub, Gitea, GitLab or `wfctl git serve` push payload. */
export function parsePushEvent(body: Buffer): PushEvent | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!payload || typeof payload !== 'object') return undefined;
  const urls = new Set<string>();
  for (const holder of [payload.repository, payload.project]) {
    if (!holder || typeof holder !== 'object') continue;
    for (const k of [
      'clone_url',
      'html_url',
      'ssh_url',
      'git_url',
      'url',
      'git_http_url',
      'git_ssh_url',
      'web_url',
      'http_url',
      'homepage',
    ]) {
      const url = (holder as Record<string, unknown>)[k];
      if (typeof url === 'string' && url) urls.add(url);
    }
  }
  const after = typeof payload.after === 'string' && /^[0-9a-f]{40}$/.test(payload.after) ? payload.after : undefined;
  return {
    urls: [...urls],
    ref: typeof payload.ref === 'string' ? payload.ref : undefined,
    ...(after ? { after } : {}),
  };
}

/**
 * Whether a push concerns a source: same repository, and the pushed ref is the one it follows
 * (a source on the default branch takes any branch push: which branch is default is the server's call).
 */
export function pushMatches(event: PushEvent, repoURL: string, revision: string | undefined): boolean {
  const want = normalizeRepoUrl(repoURL);
  if (!event.urls.some((u) => normalizeRepoUrl(u) === want)) return false;
  if (!revision || revision === 'HEAD' || !event.ref || /^[0-9a-f]{40}$/.test(revision)) return true;
  return event.ref === `refs/heads/${revision}` || event.ref === `refs/tags/${revision}` || event.ref === revision;
}

/** Marks the matching sources for a sync now; returns their `namespace/name` keys. */
export type PushHandler = (event: PushEvent) => Promise<string[]>;

export interface HookOptions {
  /** Shared secret (GitHub/Gitea HMAC, GitLab token). Without one, pushes are accepted unsigned. */
  secret?: string;
  onPush: PushHandler;
  count?: (provider: string, result: string) => void;
}

export async function handleGitHook(req: IncomingMessage, res: ServerResponse, opts: HookOptions): Promise<void> {
  const provider = webhookProvider(req.headers);
  const reply = (status: number, body: object, result: string) => {
    opts.count?.(provider, result);
    res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
  if (req.method !== 'POST') return reply(405, { error: 'use POST' }, 'bad-method');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) return reply(413, { error: `payload over ${maxBody} bytes` }, 'too-large');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const verdict = verifyWebhook(opts.secret, req.headers, body);
  if (!verdict.ok) return reply(401, { error: verdict.error, hint: verdict.hint }, 'unauthorized');
  const event = String(
    req.headers['x-github-event'] ?? req.headers['x-gitea-event'] ?? req.headers['x-gitlab-event'] ?? 'push',
  );
  if (/^ping$/i.test(event)) return reply(200, { ok: true, event: 'ping' }, 'ping');
  const push = parsePushEvent(body);
  if (!push || push.urls.length === 0)
    return reply(
      400,
      { error: 'not a push event: no repository URL in the payload (repository.clone_url, project.git_http_url)' },
      'bad-payload',
    );
  const synced = await opts.onPush(push);
  reply(202, { synced }, synced.length ? 'synced' : 'no-match');
}
