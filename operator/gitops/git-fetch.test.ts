// GitFetcher against a real git server (registry-index's, over smart HTTP) and real git: branches,
// tags, pinned commits, a force-push, a local path, and failures that say what to do.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { startGitServer, type GitServer } from '../../registry-index/index.ts';
import { FetchError, GitFetcher, GitTree } from './git-fetch.ts';

const exec = promisify(execFile);
let dir: string;
let server: GitServer;
let work: string;
let url: string;
const git = async (...args: string[]) =>
  (
    await exec('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', ...args], { cwd: work })
  ).stdout.trim();
const commit = async (file: string, text: string, message: string) => {
  writeFileSync(join(work, file), text);
  await git('add', '-A');
  await git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'git-fetch-test-'));
  server = await startGitServer({ dataDir: join(dir, 'srv'), token: 't', logger: pino({ level: 'silent' }) });
  url = server.repoUrl('apps');
  work = join(dir, 'work');
  mkdirSync(work);
  await git('init', '-q', '-b', 'main');
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const push = (...args: string[]) => git('push', '-q', ...args, url.replace('http://', 'http://x:t@'), 'main');

test('fetches HEAD, a branch, a tag and a pinned commit; reads files of the commit', async () => {
  const first = await commit('a.yaml', 'a: 1\n', 'first');
  await git('tag', '-a', 'v1', '-m', 'v1');
  await push('--tags');
  const second = await commit('a.yaml', 'a: 2\n', 'second');
  await push();
  const f = new GitFetcher(join(dir, 'cache'));
  const head = await f.fetch('ns/apps', { repoURL: url });
  assert.equal(head.commit.oid, second);
  assert.equal(head.commit.author, 'Ada <ada@example.com>');
  assert.equal(head.commit.subject, 'second');
  assert.equal(await new GitTree(head).read('a.yaml'), 'a: 2\n');
  assert.equal((await f.fetch('ns/apps', { repoURL: url, revision: 'main' })).commit.oid, second);
  assert.equal((await f.fetch('ns/apps', { repoURL: url, revision: 'v1' })).commit.oid, first, 'annotated tag peeled');
  const pinned = await f.fetch('ns/pinned', { repoURL: url, revision: first });
  assert.equal(await new GitTree(pinned).read('a.yaml'), 'a: 1\n');
  // an unchanged tip is answered from the cache after one look at the server's refs
  assert.equal((await f.fetch('ns/apps', { repoURL: url })).commit.oid, second);
});

test('a force-push is just a new tip', async () => {
  await git('reset', '-q', '--hard', 'HEAD~1');
  const rewritten = await commit('a.yaml', 'a: rewritten\n', 'rewritten');
  await push('--force');
  const f = new GitFetcher(join(dir, 'cache'));
  const snap = await f.fetch('ns/apps', { repoURL: url });
  assert.equal(snap.commit.oid, rewritten);
  assert.equal(await new GitTree(snap).read('a.yaml'), 'a: rewritten\n');
});

test('a local path is read in place', async () => {
  const f = new GitFetcher(join(dir, 'cache'));
  const snap = await f.fetch('ns/local', { repoURL: work });
  assert.equal(snap.commit.oid, await git('rev-parse', 'HEAD'));
});

test('failures say what is wrong', async () => {
  const f = new GitFetcher(join(dir, 'cache'));
  await assert.rejects(f.fetch('ns/x', { repoURL: url, revision: 'nope' }), (e: Error) => {
    assert.ok(e instanceof FetchError);
    assert.match(e.message, /revision "nope" not found|not found/);
    return true;
  });
  await assert.rejects(f.fetch('ns/y', { repoURL: server.repoUrl('missing') }), /not found/);
  await assert.rejects(f.fetch('ns/z', { repoURL: 'http://127.0.0.1:1/apps.git' }), (e: Error) => {
    assert.ok(e instanceof FetchError && e.temporary, e.message);
    assert.match(e.message, /fetch failed/);
    return true;
  });
  await assert.rejects(f.fetch('ns/w', { repoURL: join(dir, 'nothing-here') }), /is not a git repository/);
});
