// Helpers for the plugin lifecycle tests: wfctl as a child process (never blocking the servers that
// live in the test process), a long-running `wfctl run` in its own process group, and a registry
// (our git server + registry server) whose repository trusts one publisher key.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { startGitServer, startRegistryServer, type GitServer, type RegistryServer } from '../registry-index/index.ts';
import { git } from './registry-support.ts';

export const repoRoot = new URL('../', import.meta.url).pathname;
export const wfctlBin = join(repoRoot, 'bin', 'wfctl.js');

export interface WfctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs wfctl to completion; never rejects (the exit code is part of the result). */
export function wfctl(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<WfctlResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [wfctlBin, ...args],
      {
        cwd: opts.cwd ?? repoRoot,
        env: { ...process.env, ...opts.env },
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `wfctl run` in its own process group; resolves with its URL once it listens. */
export async function startApp(
  config: string,
  opts: { cwd: string; env?: Record<string, string> },
): Promise<{ url: string; proc: ChildProcess; stop: () => Promise<void>; output: () => string }> {
  const proc = spawn(process.execPath, [wfctlBin, 'run', config, '--addr', '127.0.0.1:0'], {
    cwd: opts.cwd,
    env: { ...process.env, WORKFLOW_LOG_LEVEL: 'warn', ...opts.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      return;
    }
    await exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`wfctl run exited with ${code} before listening:\n${out}`)));
  });
  return { url, proc, stop, output: () => out };
}

export interface Registry {
  git: GitServer;
  registry: RegistryServer;
  /** Push URL of the registry repository, with the push token. */
  pushUrl: string;
  token: string;
  publishToken: string;
  /** A clone of the registry repository to commit keys and manifests in. */
  work: string;
  close(): Promise<void>;
}

/** A git server and a registry server following its `registry` repository, synced on every push. */
export async function startRegistry(dir: string): Promise<Registry> {
  const logger = pino({ level: 'silent' });
  const token = 'push-token-plugin-tests';
  const publishToken = 'publish-token-plugin-tests';
  const notify: string[] = [];
  const gitServer = await startGitServer({ dataDir: join(dir, 'git'), token, notify, logger });
  const registry = await startRegistryServer({
    repo: gitServer.repoUrl('registry'),
    dataDir: join(dir, 'registry'),
    schedule: null,
    publishToken,
    logger,
  });
  notify.push(`${registry.url}/api/v1/sync`);
  const work = join(dir, 'registry-work');
  mkdirSync(work, { recursive: true });
  git(work, 'init', '-q', '-b', 'main');
  return {
    git: gitServer,
    registry,
    pushUrl: gitServer.repoUrl('registry').replace('http://', `http://pusher:${token}@`),
    token,
    publishToken,
    work,
    async close() {
      await registry.close();
      await gitServer.close();
    },
  };
}

/** Commit files into the registry working clone and push them (rejects with git's output on refusal). */
export async function pushFiles(reg: Registry, files: Record<string, string>, message: string): Promise<void> {
  // others (wfctl publish) push too: start from the registry's current main, when it has one
  // (asynchronously: the git server answering the fetch runs in this process)
  const fetched = await new Promise<boolean>((resolve) =>
    execFile(
      'git',
      ['fetch', '-q', reg.pushUrl, 'main'],
      { cwd: reg.work, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err) => resolve(!err),
    ),
  );
  // unfetched: an empty repository, whose first push creates main
  if (fetched) git(reg.work, 'reset', '-q', '--hard', 'FETCH_HEAD');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(reg.work, path, '..'), { recursive: true });
    writeFileSync(join(reg.work, path), content);
  }
  git(reg.work, 'add', '-A', '.');
  git(reg.work, 'commit', '-q', '-m', message);
  await new Promise<void>((resolve, reject) =>
    execFile(
      'git',
      ['push', '-q', reg.pushUrl, 'HEAD:main'],
      { cwd: reg.work, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (err, _o, e) => (err ? reject(new Error(`git push refused:\n${e}`)) : resolve()),
    ),
  );
}

/** Polls until `probe` is truthy (generous deadline: the machine is shared). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `wfctl init --template TEMPLATE` in `parent`, then the project used as generated: validate,
 * plugin test (the wftest files it ships), deploy --dry-run (a WorkflowApp carrying the config) and
 * run (its health.checker answers).
 */
export async function checkTemplate(template: string, parent: string): Promise<void> {
  const ok = async (args: string[], cwd: string): Promise<string> => {
    const r = await wfctl(args, { cwd });
    assert.equal(r.code, 0, `wfctl ${args.join(' ')} in ${cwd}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const dir = join(parent, template);
  assert.match(await ok(['init', '--template', template, dir], parent), new RegExp(`created ${template} project`));
  assert.match(await ok(['validate', 'workflow.yaml'], dir), /PASS workflow\.yaml/);
  const tested = await ok(['plugin', 'test'], dir);
  assert.match(tested, /^TAP version 13\n1\.\.[1-9]/);
  assert.doesNotMatch(tested, /not ok/);
  const manifest = parse(await ok(['deploy', 'workflow.yaml', '--dry-run'], dir));
  assert.equal(manifest.kind, 'WorkflowApp');
  assert.equal(manifest.apiVersion, 'workflow.gocodealone.com/v1alpha1');
  assert.deepEqual(parse(manifest.spec.config), parse(readFileSync(join(dir, 'workflow.yaml'), 'utf8')));
  const running = await startApp('workflow.yaml', { cwd: dir });
  try {
    const res = await fetch(`${running.url}/healthz`);
    assert.equal(res.status, 200, running.output());
    assert.equal(((await res.json()) as { status: string }).status, 'healthy');
  } finally {
    await running.stop();
  }
}
