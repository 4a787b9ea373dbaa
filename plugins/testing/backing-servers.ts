// Real Redis, NATS and PostgreSQL servers (the Debian packages) for tests: each on a free port on
// 127.0.0.1, in its own process group, with no persistence, killed (group and all) by stop(). No fixed
// ports, no sleeps: start() resolves once the server answers, and fails with the server's output if it
// cannot.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BackingServer {
  /** host:port, as configs spell it (`addr: 127.0.0.1:6380`). */
  address: string;
  port: number;
  /** Kills the server's process group and removes its temp dir. */
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 30_000;

/** A port free on 127.0.0.1 right now (for servers that cannot bind port 0 and say which port they got). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  return exited;
}

/** Resolves when `probe` succeeds; rejects when the child exits first or the deadline passes. */
async function untilReady(child: ChildProcess, output: () => string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (!exited && Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${exited ? 'exited' : 'did not answer in time'}:\n${output()}`);
}

/** One request/response over TCP; whether the answer starts with `expect`. */
function answers(port: number, send: string | undefined, expect: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => send && socket.write(send));
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got.length >= expect.length) done(got.startsWith(expect));
    });
  });
}

function spawnServer(
  command: string,
  args: string[],
  as?: { uid: number; gid: number },
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (err) => keep(Buffer.from(`${command}: ${err.message}\n`)));
  return { child, output: () => output };
}

/** A redis-server with no persistence. A port taken between choosing and binding is retried. */
export async function startRedisServer(): Promise<BackingServer> {
  const dir = mkdtempSync(join(tmpdir(), 'wf-redis-'));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const { child, output } = spawnServer('redis-server', args);
    try {
      await untilReady(child, output, () => answers(port, 'PING\r\n', '+PONG'));
      return {
        address: `127.0.0.1:${port}`,
        port,
        stop: async () => {
          await killGroup(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await killGroup(child);
      lastError = err as Error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start (is the redis-server package installed?): ${lastError?.message}`);
}

/** A nats-server (core NATS, no JetStream); it picks its own free port (-p -1) and says which. */
export async function startNatsServer(): Promise<BackingServer> {
  const { child, output } = spawnServer('nats-server', ['-a', '127.0.0.1', '-p', '-1']);
  let port = 0;
  try {
    await untilReady(child, output, async () => {
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(output());
      if (!m) return false;
      port = Number(m[1]);
      return answers(port, undefined, 'INFO ');
    });
  } catch (err) {
    await killGroup(child);
    throw new Error(`nats-server did not start (is the nats-server package installed?): ${(err as Error).message}`);
  }
  return { address: `127.0.0.1:${port}`, port, stop: () => killGroup(child) };
}

export interface PostgresServer extends BackingServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable (trust auth, superuser). */
  dsn: string;
}

const POSTGRES_LIB = '/usr/lib/postgresql';

/** bin dir of the newest PostgreSQL server installed by the Debian package (initdb, postgres). */
function postgresBinDir(): string {
  const majors = existsSync(POSTGRES_LIB)
    ? readdirSync(POSTGRES_LIB).filter((v) => existsSync(join(POSTGRES_LIB, v, 'bin', 'initdb')))
    : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0)
    throw new Error(
      `PostgreSQL server not found: no ${POSTGRES_LIB}/*/bin/initdb. Install the Debian package ` +
        '(apt-get install postgresql), as .ci/run does.',
    );
  return join(POSTGRES_LIB, majors[0]!, 'bin');
}

/**
 * PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` user the
 * Debian package creates (spawn's uid/gid, as `runuser -u postgres` would), owning the temp dir.
 */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, PostgreSQL needs the "postgres" user (the Debian postgresql package creates it)');
  }
}

/**
 * A throwaway PostgreSQL cluster: initdb into a temp dir (trust auth, no fsync), the server on a free
 * port on 127.0.0.1 (its unix socket in the temp dir), in its own process group. stop() asks for a
 * fast shutdown, kills the group if it lingers, and removes the dir.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const as = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'wf-postgres-'));
  if (as) chownSync(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  try {
    await new Promise<void>((resolve, reject) => {
      const args = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'];
      execFile(join(bin, 'initdb'), args, { ...as, timeout: 120_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`initdb failed: ${err.message}\n${stdout}${stderr}`)) : resolve(),
      );
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '40',
      shared_buffers: '16MB',
    };
    const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const { child, output } = spawnServer(join(bin, 'postgres'), args, as);
    try {
      await untilReady(child, output, () => answers(port, STARTUP_PACKET, 'R'));
      const stop = async () => {
        await stopPostgres(child);
        rmSync(dir, { recursive: true, force: true });
      };
      return {
        address: `127.0.0.1:${port}`,
        port,
        dsn: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
        stop,
      };
    } catch (err) {
      await killGroup(child);
      lastError = err as Error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`postgres did not start (is the postgresql package installed?): ${lastError?.message}`);
}

/** A protocol 3.0 startup message for user postgres; a ready server answers with an auth message 'R'. */
const STARTUP_PACKET = (() => {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user\0postgres\0database\0postgres\0\0')]);
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]).toString('latin1');
})();

/** SIGINT is PostgreSQL's fast shutdown (clients disconnected, shared memory released). */
async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => void killGroup(child), 30_000);
  await exited;
  clearTimeout(timer);
}
