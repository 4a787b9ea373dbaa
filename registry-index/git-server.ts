// A smart-HTTP git server: the system's `git http-backend` (CGI) behind a small Node HTTP shim that
// adds token auth, push-to-create, the registry's pre-receive validation and push notifications.
// isomorphic-git is a client only; receive-pack has to be real git.
import { serverTimeouts } from '../security/index.ts';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, chmodSync, readdirSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { timingSafeEqual } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { relayHookScript, startPushCheckRelay, type PushCheckRelay } from './push-check-relay.ts';
import { signBody } from './webhook.ts';

const run = promisify(execFile);

export interface GitServerOptions {
  /** Bare repositories live here as <name>.git. */
  dataDir: string;
  port?: number;
  host?: string;
  /** Token required to push (HTTP basic password, any user name, or a Bearer token). Without it pushes are refused. */
  token?: string;
  /** Allow clone/fetch without the token (default true). */
  anonymousRead?: boolean;
  /** The repository whose pushes the registry validator checks (default "registry"). */
  registryRepo?: string;
  /** URLs to POST a push event to after every accepted push (e.g. the registry's /api/v1/sync). */
  notify?: string[];
  /** Signs notifications (X-Hub-Signature-256), matching the registry's --webhook-secret. */
  notifySecret?: string;
  logger?: Logger;
}

export interface GitServer {
  url: string;
  port: number;
  /** Clone URL of a repository. */
  repoUrl(name: string): string;
  close(): Promise<void>;
}

const repoNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export async function startGitServer(opts: GitServerOptions): Promise<GitServer> {
  const logger = (opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' })).child({ component: 'git-server' });
  const registryRepo = opts.registryRepo ?? 'registry';
  mkdirSync(opts.dataDir, { recursive: true });
  const registryGitdir = join(realpathSync(opts.dataDir), `${registryRepo}.git`);
  const relay = await startPushCheckRelay({ accepts: (gitdir) => gitdir === registryGitdir, logger });
  // Hooks carry absolute paths to node, this checkout and the relay's socket; rewrite them on every
  // start so a moved checkout or a new node keeps working.
  for (const entry of readdirSync(opts.dataDir)) {
    if (entry.endsWith('.git')) installHooks(join(opts.dataDir, entry), entry.slice(0, -4) === registryRepo, relay);
  }

  // a push uploads a pack: minutes on a slow link are fine, a trickle that never ends is not
  const server: Server = createServer(serverTimeouts({ requestTimeoutMs: 10 * 60_000 }), (req, res) => {
    handle(req, res).catch((err) => {
      logger.error({ err }, 'git request failed');
      if (!res.headersSent) plain(res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // the raw path, not a URL's: no dot-segment resolution, so a name is exactly what was sent
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const query = q === -1 ? '' : target.slice(q + 1);
    const m = /^\/([^/]+?)(?:\.git)?(\/.*)$/.exec(q === -1 ? target : target.slice(0, q));
    if (!m || !repoNamePattern.test(m[1]!) || m[1]!.includes('..'))
      return plain(res, 404, 'not a repository path; clone URLs look like /<name>.git\n');
    const name = m[1]!;
    const rest = m[2]!;
    const push = rest === '/git-receive-pack' || new URLSearchParams(query).get('service') === 'git-receive-pack';
    const user = authenticate(req);
    if ((push || opts.anonymousRead === false) && !user) {
      res.setHeader('WWW-Authenticate', 'Basic realm="wfctl git", charset="UTF-8"');
      return plain(
        res,
        401,
        opts.token
          ? 'authentication required: use the server token as the password\n'
          : 'pushes are disabled: start the server with --token\n',
      );
    }
    const gitdir = join(opts.dataDir, `${name}.git`);
    if (!existsSync(gitdir)) {
      if (!push) return plain(res, 404, `repository ${name} not found\n`);
      // the ref advertisement that precedes a push comes from an empty scratch repository: a repo is
      // created by the push itself (its POST), never by a client that only looked
      if (req.method !== 'POST') return advertiseEmpty(req, res, query, name, rest, user);
      await createRepo(gitdir, name === registryRepo);
      logger.info({ repo: name }, 'created repository on first push');
    }
    const before = push && req.method === 'POST' ? await refs(gitdir) : undefined;
    await cgi(req, res, query, `/${name}.git${rest}`, user, opts.dataDir);
    if (before !== undefined) {
      const after = await refs(gitdir);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((r) => before.get(r) !== after.get(r));
      for (const ref of changed) void notifyPush(name, ref, before.get(ref), after.get(ref));
    }
  }

  function authenticate(req: IncomingMessage): string | undefined {
    if (!opts.token) return undefined;
    const header = req.headers.authorization ?? '';
    let given: string | undefined;
    let user = 'token';
    if (header.startsWith('Bearer ')) given = header.slice(7);
    else if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = decoded.slice(0, colon) || 'token';
      given = decoded.slice(colon + 1);
    }
    if (given === undefined) return undefined;
    const a = Buffer.from(given);
    const b = Buffer.from(opts.token);
    return a.length === b.length && timingSafeEqual(a, b) ? user.replace(/[^\w.@-]/g, '_') : undefined;
  }

  async function createRepo(gitdir: string, isRegistry: boolean): Promise<void> {
    await run('git', ['init', '--bare', '--quiet', '-b', 'main', gitdir]);
    const config: Array<[string, string]> = [
      ['http.receivepack', 'true'],
      // The registry's history is its published record; an app repository is the team's own, and
      // rewriting it (a force-push) is theirs to decide, as on any git host.
      ['receive.denyNonFastForwards', isRegistry ? 'true' : 'false'],
      ['receive.denyDeletes', 'true'],
      ['receive.fsckObjects', 'true'],
      ['receive.maxInputSize', String(200 * 1024 * 1024)],
    ];
    for (const [k, v] of config) await run('git', ['--git-dir', gitdir, 'config', k, v]);
    installHooks(gitdir, isRegistry, relay);
  }

  async function advertiseEmpty(
    req: IncomingMessage,
    res: ServerResponse,
    query: string,
    name: string,
    rest: string,
    user: string | undefined,
  ): Promise<void> {
    const scratch = await mkdtemp(join(tmpdir(), 'wfctl-git-advertise-'));
    try {
      const gitdir = join(scratch, `${name}.git`);
      await run('git', ['init', '--bare', '--quiet', '-b', 'main', gitdir]);
      await run('git', ['--git-dir', gitdir, 'config', 'http.receivepack', 'true']);
      await cgi(req, res, query, `/${name}.git${rest}`, user, scratch);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  function cgi(
    req: IncomingMessage,
    res: ServerResponse,
    query: string,
    pathInfo: string,
    user: string | undefined,
    projectRoot: string,
  ): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '200M',
      PATH_INFO: pathInfo,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: query,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      ...(user ? { REMOTE_USER: user } : {}),
    };
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      req.pipe(child.stdin);
      // a client that goes away (or is cut off by the request timeout) mid-upload would leave
      // receive-pack waiting for the rest of its input forever
      res.once('close', () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
      });
      child.stdin.on('error', () => undefined); // the backend may stop reading on an early error
      child.stderr.on('data', (d: Buffer) => logger.debug({ stderr: d.toString() }, 'http-backend'));
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const end =
          head.indexOf('\r\n\r\n') !== -1
            ? head.indexOf('\r\n\r\n') + 4
            : head.indexOf('\n\n') !== -1
              ? head.indexOf('\n\n') + 2
              : -1;
        if (end === -1) return;
        headersDone = true;
        for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const key = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (key.toLowerCase() === 'status') res.statusCode = parseInt(value, 10) || 500;
          else res.setHeader(key, value);
        }
        res.write(head.subarray(end));
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (!headersDone) plain(res, 500, `git http-backend failed (exit ${code})\n`);
        else res.end();
        resolve();
      });
    });
  }

  async function notifyPush(
    repo: string,
    ref: string,
    before: string | undefined,
    after: string | undefined,
  ): Promise<void> {
    const zero = '0'.repeat(40);
    const body = JSON.stringify({
      ref,
      before: before ?? zero,
      after: after ?? zero,
      repository: { name: repo, full_name: repo, clone_url: `${baseUrl()}/${repo}.git` },
    });
    for (const target of opts.notify ?? []) {
      try {
        const r = await fetch(target, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            ...(opts.notifySecret ? { 'x-hub-signature-256': signBody(opts.notifySecret, body) } : {}),
          },
          signal: AbortSignal.timeout(10_000),
        });
        if (!r.ok) logger.warn({ target, status: r.status }, 'push notification refused');
      } catch (err) {
        logger.warn({ target, err: (err as Error).message }, 'push notification failed');
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  }).catch(async (err) => {
    await relay.close();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = () => `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;
  logger.info({ url: baseUrl(), dataDir: opts.dataDir }, 'git server listening');
  return {
    url: baseUrl(),
    port,
    repoUrl: (name) => `${baseUrl()}/${name}.git`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await relay.close();
    },
  };
}

/** The whole check as a program (the hook's fallback): dist/'s when this process runs from dist/, else the source's. */
function checkCommand(): string[] {
  if (import.meta.bundled)
    return [process.execPath, fileURLToPath(new URL('../dist/pre-receive-hook.js', import.meta.url))];
  const script = fileURLToPath(new URL('./pre-receive-hook.ts', import.meta.url));
  return [process.execPath, '--import', import.meta.resolve('tsx'), script];
}

/** The registry repository's pre-receive hook relays each push to this server's check (push-check-relay.ts). */
function installHooks(gitdir: string, isRegistry: boolean, relay: PushCheckRelay): void {
  if (!isRegistry) return;
  const hooks = join(gitdir, 'hooks');
  mkdirSync(hooks, { recursive: true });
  const script = join(hooks, 'registry-check.mjs');
  writeFileSync(script, relayHookScript(relay.socketPath, checkCommand()));
  const hook = join(hooks, 'pre-receive');
  writeFileSync(
    hook,
    '#!/bin/sh\n# Installed by wfctl git serve: validates registry manifests before any ref moves.\n' +
      `exec ${[process.execPath, script].map(shellQuote).join(' ')}\n`,
  );
  chmodSync(hook, 0o755);
}

async function refs(gitdir: string): Promise<Map<string, string>> {
  const { stdout } = await run('git', ['--git-dir', gitdir, 'for-each-ref', '--format=%(refname) %(objectname)']);
  return new Map(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text);
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
