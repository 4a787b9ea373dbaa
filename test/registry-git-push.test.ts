// End to end: real `git push` over smart HTTP to our git server, the pre-receive hook running the
// registry validator, the push notification syncing the registry server (which clones the repo over
// HTTP with isomorphic-git), and the API serving the result.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import {
  PublishError,
  RegistryClient,
  publishToGitRegistry,
  startGitServer,
  startRegistryServer,
  writeTarGz,
  type GitServer,
  type RegistryServer,
} from '../registry-index/index.ts';
import { corpusRepo, git, json, manifest, tempDir } from './registry-support.ts';

const execFileAsync = promisify(execFile);
const token = 'push-token-123';
let dirs: ReturnType<typeof tempDir>;
let gitServer: GitServer;
let registry: RegistryServer;
let work: string;
let pushUrl: string;

/** git push without blocking the event loop (the servers live in this process). */
async function push(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await execFileAsync('git', ['push', ...args], {
      cwd: work,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, output: e.stdout + e.stderr };
  }
}

function commit(message: string): string {
  git(work, 'add', '-A', '.');
  git(work, 'commit', '-q', '-m', message);
  return git(work, 'rev-parse', 'HEAD');
}

async function searchNames(q: string): Promise<string[]> {
  const r = await fetch(`${registry.url}/api/v1/plugins?q=${encodeURIComponent(q)}`);
  if (r.status === 503) return []; // no index yet
  assert.equal(r.status, 200);
  return ((await r.json()) as Array<{ name: string }>).map((p) => p.name);
}

before(async () => {
  dirs = tempDir('registry-push-');
  const logger = pino({ level: 'silent' });
  const notify: string[] = [];
  gitServer = await startGitServer({ dataDir: join(dirs.path, 'git'), token, notify, logger });
  registry = await startRegistryServer({
    repo: gitServer.repoUrl('registry'),
    dataDir: join(dirs.path, 'registry'),
    schedule: null,
    logger,
  });
  notify.push(`${registry.url}/api/v1/sync`);
  work = join(dirs.path, 'work');
  mkdirSync(work);
  corpusRepo(work);
  pushUrl = gitServer.repoUrl('registry').replace('http://', `http://pusher:${token}@`);
});

after(async () => {
  await registry?.close();
  await gitServer?.close();
  dirs?.cleanup();
});

test('push-to-create, then the registry syncs from the push notification', {
  timeout: 120_000,
}, async () => {
  const first = await push(pushUrl, 'main');
  assert.ok(first.ok, first.output);
  assert.match(first.output, /remote: registry: refs\/heads\/main validated/);
  // the initial sync ran before the repository existed; the push notification brings it up
  const deadline = Date.now() + 30_000;
  while (!(await searchNames('http')).includes('http')) {
    assert.ok(Date.now() < deadline, 'registry never synced the first push');
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = (await (await fetch(`${registry.url}/api/v1/sync`)).json()) as { revision: string };
  assert.equal(status.revision, git(work, 'rev-parse', 'HEAD'));
});

test('a good push becomes searchable through the API by its push notification (no polling)', {
  timeout: 60_000,
}, async () => {
  mkdirSync(join(work, 'plugins/quokka-notifier'));
  writeFileSync(
    join(work, 'plugins/quokka-notifier/manifest.json'),
    json(manifest('quokka-notifier', { description: 'Sends quokka notifications', keywords: ['quokka'] })),
  );
  commit('add quokka-notifier');
  const r = await push(pushUrl, 'main');
  assert.ok(r.ok, r.output);
  // the registry has no sync schedule: only the push notification can bring the change in
  const deadline = Date.now() + 30_000;
  while (!(await searchNames('quokka')).includes('quokka-notifier')) {
    assert.ok(Date.now() < deadline, 'not searchable 30 s after the push');
    await new Promise((res) => setTimeout(res, 20));
  }
  const client = new RegistryClient({ baseUrl: registry.url });
  const resolved = await client.resolve('quokka-notifier', '^1');
  assert.equal(resolved.version, '1.0.0');
});

test('a broken manifest is refused with file, line and rule in the git push output', {
  timeout: 60_000,
}, async () => {
  const head = git(work, 'rev-parse', 'HEAD');
  const file = join(work, 'plugins/quokka-notifier/manifest.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('"type": "external"', '"type": "extrenal"'));
  commit('typo');
  const r = await push(pushUrl, 'main');
  assert.equal(r.ok, false);
  assert.match(
    r.output,
    /remote: plugins\/quokka-notifier\/manifest\.json:6:11: error schema\/enum: "type" is "extrenal"/,
  );
  assert.match(r.output, /did you mean "external"\?/);
  assert.match(r.output, /pre-receive hook declined/);

  writeFileSync(file, '{ "name": "quokka-notifier",\n  "version": "1.0.1"\n  "author": "x" }\n');
  git(work, 'commit', '-q', '--amend', '-a', '-m', 'broken json');
  const syntax = await push(pushUrl, 'main');
  assert.equal(syntax.ok, false);
  assert.match(syntax.output, /manifest\.json:3:3: error json-syntax: invalid JSON: missing ","/);
  git(work, 'reset', '-q', '--hard', head);
  // nothing served degraded
  assert.deepEqual(await searchNames('quokka'), ['quokka-notifier']);
});

test("changing a published version's artifact is refused; a force-push is refused", {
  timeout: 60_000,
}, async () => {
  const head = git(work, 'rev-parse', 'HEAD');
  const file = join(work, 'plugins/workflow-plugin-aws/manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  m.downloads[0].sha256 = 'f'.repeat(64);
  writeFileSync(file, json(m));
  commit('re-point a published archive');
  const r = await push(pushUrl, 'main');
  assert.equal(r.ok, false);
  assert.match(
    r.output,
    new RegExp(
      String.raw`plugins\/workflow-plugin-aws\/manifest\.json:\d+:\d+: error` +
        String.raw` immutable-version: version 2\.3\.7 is already published`,
    ),
  );
  assert.match(r.output, /bump to the next patch/);
  git(work, 'reset', '-q', '--hard', head);

  // rewrite history: replace the last commit and force-push
  git(work, 'commit', '-q', '--amend', '-m', 'rewritten');
  const forced = await push('--force', pushUrl, 'main');
  assert.equal(forced.ok, false);
  assert.match(forced.output, /non-fast-forward|denying non-fast-forward/);
  git(work, 'reset', '-q', '--hard', head);
  const status = (await (await fetch(`${registry.url}/api/v1/sync`)).json()) as { revision: string };
  assert.equal(status.revision, head);
});

test('wfctl publish: new version with a stored archive; the old one stays resolvable; republishing is refused', {
  timeout: 60_000,
}, async () => {
  const pluginDir = join(dirs.path, 'quokka-src');
  mkdirSync(pluginDir);
  writeFileSync(
    join(pluginDir, 'manifest.json'),
    json(
      manifest('quokka-notifier', {
        version: '1.1.0',
        description: 'Sends quokka notifications, now with retries',
        keywords: ['quokka'],
      }),
    ),
  );
  const archivePath = join(dirs.path, 'quokka.tar.gz');
  writeFileSync(
    archivePath,
    writeTarGz([{ path: 'quokka-notifier/quokka-notifier', data: '#!/bin/sh\necho quokka\n', mode: 0o755 }]),
  );
  const result = await publishToGitRegistry({
    manifestPath: join(pluginDir, 'manifest.json'),
    registryUrl: gitServer.repoUrl('registry'),
    token,
    archive: { path: archivePath, os: 'linux', arch: 'amd64' },
  });
  assert.ok(result.ok, result.output);
  assert.equal(result.previous, '1.0.0');
  assert.match(result.output, /remote: registry: refs\/heads\/main validated/);
  const client = new RegistryClient({ baseUrl: registry.url });
  const deadline = Date.now() + 30_000;
  while ((await client.versions('quokka-notifier')).length < 2) {
    assert.ok(Date.now() < deadline, 'published version never showed up');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(await client.versions('quokka-notifier'), ['1.1.0', '1.0.0']);
  const download = await client.download('quokka-notifier', '1.1.0', { os: 'linux', arch: 'amd64' });
  assert.deepEqual(download.bytes, readFileSync(archivePath));
  await assert.rejects(
    publishToGitRegistry({
      manifestPath: join(pluginDir, 'manifest.json'),
      registryUrl: gitServer.repoUrl('registry'),
      token,
    }),
    (err: unknown) => err instanceof PublishError && /quokka-notifier@1\.1\.0 is already published/.test(err.message),
  );
  // the work repo follows (async: the git server lives in this process)
  await execFileAsync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@localhost', 'pull', '-q', '--ff-only', pushUrl, 'main'],
    { cwd: work },
  );
});

test('pushing without the token is refused; anonymous clone works', {
  timeout: 60_000,
}, async () => {
  const r = await push(gitServer.repoUrl('registry'), 'main');
  assert.equal(r.ok, false);
  assert.match(r.output, /Authentication failed|could not read Username|401/);
  const clone = join(dirs.path, 'clone');
  await execFileAsync('git', ['clone', '-q', gitServer.repoUrl('registry'), clone]);
  assert.ok(readFileSync(join(clone, 'plugins/quokka-notifier/manifest.json'), 'utf8').includes('quokka'));
  const res = await fetch(`${gitServer.url}/../etc/passwd`);
  assert.equal(res.status, 404);
});
