// Shared by the `wfctl up` end-to-end suites: runs wfctl up (or npm start) as a real process tree in
// its own process group, waits for DATA/platform.json, and checks on stop that no process of the
// tree outlives it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PlatformInfo } from '../platform/index.ts';

export const repoRoot = new URL('../', import.meta.url).pathname;
export const exec = promisify(execFile);

// DATA/platform.json's shape (the tests check its exact keys on the file itself)
export type { PlatformInfo };

export interface RunningUp {
  child: ChildProcess;
  info: PlatformInfo;
  dataDir: string;
  stdout(): string;
  stderr(): string;
  /** Every process below the one started (engine pods included), as of now. */
  descendants(): number[];
  /** Sends `signal` to the started process only (as a service manager would) and waits for the tree to end. */
  stop(signal?: NodeJS.Signals, opts?: { group?: boolean }): Promise<{ code: number | null; survivors: number[] }>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Children of every process, from /proc. */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(entry));
      map.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  return map;
}

export function descendantsOf(pid: number): number[] {
  const map = childrenMap();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of map.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // a zombie has exited; it only waits for its parent to reap it
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/**
 * Starts `command args` (default: wfctl up) in its own process group and waits until DATA/platform.json
 * is written by this start. Rejects with the output when the process exits first.
 */
export async function startUp(opts: {
  dataDir: string;
  args?: string[];
  command?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<RunningUp> {
  const infoFile = join(opts.dataDir, 'platform.json');
  const before = existsSync(infoFile) ? statSync(infoFile).mtimeMs : 0;
  const [cmd, ...cmdArgs] = opts.command ?? [
    process.execPath,
    join(repoRoot, 'bin', 'wfctl.js'),
    'up',
    '--data',
    opts.dataDir,
    '--port-base',
    '0',
  ];
  const child = spawn(cmd!, [...cmdArgs, ...(opts.args ?? [])], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const pid = child.pid!;
  const killGroup = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  try {
    await waitFor(
      'platform.json',
      () => {
        if (exitCode !== undefined) throw new Error(`wfctl up exited with ${exitCode}\n${out}\n${err}`);
        return existsSync(infoFile) && statSync(infoFile).mtimeMs > before && out.includes('Press Ctrl-C to stop');
      },
      opts.timeoutMs ?? 180_000,
    );
  } catch (e) {
    killGroup();
    throw new Error(`${(e as Error).message}\n--- stdout\n${out}\n--- stderr\n${err}`);
  }
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as PlatformInfo;
  return {
    child,
    info,
    dataDir: opts.dataDir,
    stdout: () => out,
    stderr: () => err,
    descendants: () => descendantsOf(pid),
    async stop(signal: NodeJS.Signals = 'SIGTERM', opts: { group?: boolean } = {}) {
      const tree = descendantsOf(pid);
      if (exitCode === undefined) process.kill(opts.group ? -pid : pid, signal);
      const timer = setTimeout(killGroup, 120_000);
      const code = await exited;
      clearTimeout(timer);
      // children that were still stopping get a moment to be reaped; anything left is an orphan
      const survivors = await waitFor(
        'the process tree to end',
        () => {
          const alive = tree.filter(isAlive);
          return alive.length === 0 ? [] : false;
        },
        15_000,
      ).catch(() => tree.filter(isAlive));
      killGroup();
      return { code, survivors };
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs kubectl against a kubeconfig. */
export async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')}: ${e.stderr?.trim() || e.message}`);
  }
}

/** Logs in to the console; returns the session cookie and CSRF token. */
export async function consoleLogin(info: PlatformInfo): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${info.consoleUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: info.consoleToken }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, setCookie };
}

export const appYaml = (name: string, message = name) => `apiVersion: workflow.gocodealone.com/v1alpha1
kind: WorkflowApp
metadata: {name: ${name}, namespace: default}
spec:
  replicas: 1
  service: {type: LoadBalancer}
  config: |
    name: ${name}
    modules:
      - {name: server, type: http.server, config: {address: ":8080"}}
      - {name: router, type: http.router, dependsOn: [server]}
    pipelines:
      hello:
        trigger: {type: http, config: {method: GET, path: /hello}}
        steps:
          - {name: respond, type: step.json_response, config: {status: 200, body: {app: ${message}}}}
`;

/** Clones apps.git with real git, adds one app, pushes with the printed token. Returns the clone. */
export async function pushApp(info: PlatformInfo, workDir: string, name: string): Promise<string> {
  const clone = join(workDir, `apps-${name}`);
  const git = (...args: string[]) =>
    exec('git', ['-C', clone, '-c', 'user.name=walkthrough', '-c', 'user.email=walk@localhost', ...args]);
  await exec('git', ['clone', '--quiet', info.appsRepoUrl, clone]);
  writeFileSync(join(clone, `${name}.yaml`), appYaml(name));
  await git('add', `${name}.yaml`);
  await git('commit', '--quiet', '-m', `add ${name}`);
  await git('push', '--quiet', info.appsRepoUrl.replace('http://', `http://wfctl:${info.gitToken}@`), 'main');
  return clone;
}

/** Upstream's registry data, vendored (test/fixtures/corpus, or WORKFLOW_CORPUS). */
export const corpusDir = process.env.WORKFLOW_CORPUS ?? join(repoRoot, 'test', 'fixtures', 'corpus');

/**
 * Publishes an upstream plugin manifest (with its real downloads and checksums) to registry.git by
 * a git push, as a plugin author would; the registry re-indexes on the push.
 */
export async function pushPlugin(info: PlatformInfo, workDir: string, plugin: string): Promise<void> {
  const clone = join(workDir, `registry-${plugin}`);
  const git = (...args: string[]) =>
    exec('git', ['-C', clone, '-c', 'user.name=walkthrough', '-c', 'user.email=walk@localhost', ...args]);
  await exec('git', ['clone', '--quiet', info.registryRepoUrl, clone]);
  mkdirSync(join(clone, 'plugins', plugin), { recursive: true });
  copyFileSync(
    join(corpusDir, 'workflow-registry', 'plugins', plugin, 'manifest.json'),
    join(clone, 'plugins', plugin, 'manifest.json'),
  );
  await git('add', '.');
  await git('commit', '--quiet', '-m', `add ${plugin}`);
  await git('push', '--quiet', info.registryRepoUrl.replace('http://', `http://wfctl:${info.gitToken}@`), 'main');
}
