// Issue 16's git server and registry findings, reproduced as reported: a symlink (plugins/x -> /etc)
// or a submodule pushed to the registry repository, a receive-pack advertisement that created an
// empty repository, and a token in the registry's repository URL that reached its startup banner
// and its clone's git config.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { startGitServer, startRegistryServer, type GitServer } from '../registry-index/index.ts';
import { redactUrlCredentials, splitUrlCredentials } from '../security/index.ts';
import { git, json, manifest, tempDir } from './registry-support.ts';

const execFileAsync = promisify(execFile);
const token = 'sup3r-s3cret-t0ken';
let dirs: ReturnType<typeof tempDir>;
let gitServer: GitServer;
let work: string;
let pushUrl: string;

async function push(): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await execFileAsync('git', ['push', pushUrl, 'HEAD:main'], {
      cwd: work,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, output: e.stdout + e.stderr };
  }
}

before(async () => {
  dirs = tempDir('registry-security-');
  gitServer = await startGitServer({ dataDir: join(dirs.path, 'git'), token, logger: pino({ level: 'silent' }) });
  pushUrl = gitServer.repoUrl('registry').replace('http://', `http://pusher:${token}@`);
  work = join(dirs.path, 'work');
  git(dirs.path, 'init', '-q', '-b', 'main', work);
  mkdirSync(join(work, 'plugins/hello'), { recursive: true });
  writeFileSync(join(work, 'plugins/hello/manifest.json'), json(manifest('hello')));
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'hello');
  const first = await push();
  assert.ok(first.ok, first.output);
});
after(async () => {
  await gitServer?.close();
  dirs?.cleanup();
});

test('a symlink plugins/x -> /etc is refused by the pre-receive hook', { timeout: 60_000 }, async () => {
  symlinkSync('/etc', join(work, 'plugins/x'));
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'link');
  const r = await push();
  assert.equal(r.ok, false, r.output);
  assert.match(r.output, /plugins\/x:1:1: error no-symlinks: plugins\/x is a symlink/);
  git(work, 'reset', '-q', '--hard', 'HEAD~1');
});

test('a submodule is refused by the pre-receive hook', { timeout: 60_000 }, async () => {
  const head = git(work, 'rev-parse', 'HEAD');
  git(work, 'update-index', '--add', '--cacheinfo', `160000,${head},plugins/vendored`);
  git(work, 'commit', '-q', '-m', 'submodule');
  const r = await push();
  assert.equal(r.ok, false, r.output);
  assert.match(r.output, /plugins\/vendored:1:1: error no-submodules: plugins\/vendored is a submodule/);
  git(work, 'reset', '-q', '--hard', 'HEAD~1');
});

test('an authenticated receive-pack advertisement creates no repository; the first push does', async () => {
  const auth = { Authorization: `Basic ${Buffer.from(`me:${token}`).toString('base64')}` };
  const r = await fetch(`${gitServer.url}/fresh.git/info/refs?service=git-receive-pack`, { headers: auth });
  assert.equal(r.status, 200);
  assert.match(await r.text(), /# service=git-receive-pack/);
  assert.equal(existsSync(join(dirs.path, 'git', 'fresh.git')), false);
  // clones and fetches of a repository that was never pushed are 404s, not empty repositories
  assert.equal((await fetch(`${gitServer.url}/fresh.git/info/refs?service=git-upload-pack`)).status, 404);
  const created = await execFileAsync('git', ['push', pushUrl.replace('/registry.git', '/fresh.git'), 'HEAD:main'], {
    cwd: work,
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
  assert.match(created.stderr, /new branch/);
  assert.equal(existsSync(join(dirs.path, 'git', 'fresh.git')), true);
  // names are the raw path: an encoded dot-dot is no repository name (fetch() would resolve it away)
  const status = await new Promise<number>((resolve, reject) => {
    request({ host: '127.0.0.1', port: gitServer.port, path: '/%2e%2e/registry.git/info/refs' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
  assert.equal(status, 404);
});

test('a token in the registry URL stays out of the clone config, the logs and the banner', {
  timeout: 90_000,
}, async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(l) });
  const dataDir = join(dirs.path, 'registry');
  const registry = await startRegistryServer({ repo: pushUrl, dataDir, schedule: null, logger });
  try {
    const first = await registry.initialSync;
    assert.notEqual(first.outcome, 'failed', JSON.stringify(first));
    const gitdir = join(dataDir, 'registry.git');
    assert.doesNotMatch(readFileSync(join(gitdir, 'config'), 'utf8'), new RegExp(token));
    // a clone made by an earlier version had the token in its config: the next sync cleans it
    git(dirs.path, '--git-dir', gitdir, 'config', 'remote.origin.url', pushUrl);
    assert.notEqual((await registry.sync.trigger('test')).outcome, 'failed');
    const config = readFileSync(join(dataDir, 'registry.git', 'config'), 'utf8');
    assert.doesNotMatch(config, new RegExp(token));
    assert.match(config, /url = http:\/\/127\.0\.0\.1:\d+\/registry\.git/);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.doesNotMatch(lines.join(''), new RegExp(token));
  } finally {
    await registry.close();
  }

  const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
  const child = spawn(
    process.execPath,
    [wfctl, 'registry', 'serve', '--repo', pushUrl, '--port', '0', '--data', join(dirs.path, 'registry-cli')],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('Press Ctrl+C')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`wfctl registry serve exited ${code}: ${out}`)));
    });
    assert.match(banner, /registry serving http:\/\/127\.0\.0\.1:\d+\/registry\.git \(main\)/);
    assert.doesNotMatch(banner, new RegExp(token));
  } finally {
    process.kill(-child.pid!, 'SIGKILL');
  }
});

test('redaction: URL credentials are split off or removed wherever they appear', () => {
  assert.equal(
    redactUrlCredentials('fetch https://me:tok@example.com/r.git failed; see http://a@b/c'),
    'fetch https://example.com/r.git failed; see http://b/c',
  );
  assert.deepEqual(splitUrlCredentials('https://me:t%40k@example.com/r.git'), {
    url: 'https://example.com/r.git',
    username: 'me',
    password: 't@k',
  });
  assert.deepEqual(splitUrlCredentials('https://example.com/r.git'), { url: 'https://example.com/r.git' });
});
