// The registry's pre-receive check runs inside the git server's own process. git runs a hook as a
// program per push; starting Node and loading the validator there cost a second or more per push (five
// when the server runs from sources through tsx), and every push re-indexed both commits from nothing.
// Instead the hook is a small dependency-free script that relays git's ref updates (and the quarantine
// directories git gives the hook, where the pushed objects wait) over a Unix socket to the server,
// which answers with checkPush's verdict: the same check, with warm code and a cache of indexed
// commits (push-check.ts).
//
// The socket lives in a private temporary directory (mode 0700). When nothing answers on it (a push
// straight into the repository directory, or the server stopped), the hook runs the full check itself
// (pre-receive-hook.ts), so no push ever skips validation.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import { checkPush, parseRefUpdates, type PushCheckCache, type PushVerdict } from './push-check.ts';

export interface PushCheckRelay {
  socketPath: string;
  close(): Promise<void>;
}

/** What the hook sends: one JSON document, then it half-closes the connection. */
interface RelayRequest {
  gitDir: string;
  objectDirectory: string | null;
  alternateObjectDirectories: string | null;
  quarantinePath: string | null;
  updates: string;
}

const maxRequestBytes = 4 * 1024 * 1024;

/**
 * Listens for hooks of the repositories `accepts` names (absolute git dirs) and checks their pushes
 * in this process.
 */
export async function startPushCheckRelay(opts: {
  accepts: (gitDir: string) => boolean;
  logger: Logger;
}): Promise<PushCheckRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'wfctl-push-check-'));
  const socketPath = join(dir, 'check.sock');
  const cache: PushCheckCache = new Map();
  // half-open: the hook ends its side after the request and reads the verdict after that
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    void answer(socket).catch((err) => {
      opts.logger.error({ err }, 'push check relay failed');
      socket.destroy();
    });
  });

  async function answer(socket: Socket): Promise<void> {
    const body = await readRequest(socket);
    if (body === undefined) return void socket.destroy();
    let verdict: PushVerdict;
    try {
      const request = JSON.parse(body) as RelayRequest;
      const gitDir = realpathSync(request.gitDir);
      if (!opts.accepts(gitDir)) throw new Error(`${request.gitDir} is not a registry repository of this server`);
      verdict = await checkPush(gitDir, parseRefUpdates(request.updates), {
        env: quarantineEnv(gitDir, request),
        cache,
      });
    } catch (err) {
      verdict = { ok: false, lines: [`registry: the push could not be validated: ${(err as Error).message}`] };
    }
    socket.end(JSON.stringify(verdict));
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolvePromise());
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolvePromise();
        });
        // a hook still waiting gets no verdict, so its push is refused
        for (const socket of open) socket.destroy();
      }),
  };
}

/** The hook's request, up to its end of input (not `for await`, which would destroy the socket after it). */
function readRequest(socket: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxRequestBytes) resolve(undefined);
      else chunks.push(chunk);
    });
    socket.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.once('error', () => resolve(undefined));
  });
}

/**
 * The object directories git set for the hook (the pushed objects sit in a quarantine directory
 * until the hook accepts them), as environment for the git commands the check runs. Each must lie
 * under the repository's own objects/: the check reads nothing else.
 */
function quarantineEnv(gitDir: string, request: RelayRequest): NodeJS.ProcessEnv {
  const objects = join(gitDir, 'objects');
  const inside = (path: string) => {
    const rel = relative(objects, resolve(gitDir, path));
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`object directory ${path} is outside ${objects}`);
    return path;
  };
  const env: NodeJS.ProcessEnv = {};
  if (request.objectDirectory) env.GIT_OBJECT_DIRECTORY = inside(request.objectDirectory);
  if (request.alternateObjectDirectories) {
    for (const path of request.alternateObjectDirectories.split(':')) inside(path.replace(/^"|"$/g, ''));
    env.GIT_ALTERNATE_OBJECT_DIRECTORIES = request.alternateObjectDirectories;
  }
  if (request.quarantinePath) env.GIT_QUARANTINE_PATH = inside(request.quarantinePath);
  return env;
}

/**
 * The hook script: Node built-ins only, so it starts as fast as Node can. `fallback` is the command
 * that runs the whole check in the hook's own process.
 */
export function relayHookScript(socketPath: string, fallback: string[]): string {
  return `// Installed by wfctl git serve (registry-index/push-check-relay.ts): relays this pre-receive hook to
// the git server's process, which validates the push; runs the check here when the server does not answer.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';

const socketPath = ${JSON.stringify(socketPath)};
const fallback = ${JSON.stringify(fallback)};
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const stdin = Buffer.concat(chunks);
process.exitCode = 1; // until a verdict accepts the push
const fail = (why) => {
  process.stderr.write(\`registry: the push could not be validated: \${why}\\n\`);
  process.exitCode = 1;
};

function checkHere() {
  const child = spawn(fallback[0], fallback.slice(1), { stdio: ['pipe', 'inherit', 'inherit'] });
  child.on('error', (err) => fail(err.message));
  child.on('exit', (code) => (process.exitCode = code ?? 1));
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdin);
}

let connected = false;
let answer = '';
const socket = connect(socketPath);
socket.setEncoding('utf8');
socket.on('connect', () => {
  connected = true;
  socket.end(
    JSON.stringify({
      gitDir: resolve(process.env.GIT_DIR ?? '.'),
      objectDirectory: process.env.GIT_OBJECT_DIRECTORY ?? null,
      alternateObjectDirectories: process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES ?? null,
      quarantinePath: process.env.GIT_QUARANTINE_PATH ?? null,
      updates: stdin.toString('utf8'),
    }),
  );
});
socket.on('data', (text) => (answer += text));
socket.on('error', (err) => {
  if (connected) return; // 'close' follows and finds no complete verdict
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') checkHere();
  else fail(err.message);
});
socket.on('close', () => {
  if (!connected) return;
  let verdict;
  try {
    verdict = JSON.parse(answer);
  } catch {
    return fail('the git server gave no verdict');
  }
  for (const line of verdict.lines) process.stderr.write(\`\${line}\\n\`);
  process.exitCode = verdict.ok === true ? 0 : 1;
});
`;
}
