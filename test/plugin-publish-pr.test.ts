// `wfctl publish --pr`: the pull-request plugin submission through @octokit/rest, against a local
// stand-in for GitHub's REST API (github.com is not reachable here) answering the documented shapes
// of the git data endpoints it calls (repos, git/ref, git/commits, contents, git/trees, git/commits,
// git/refs, pulls) and the GitHub App installation-token exchange, whose JWT it verifies with the
// App's public key. The archive goes to our registry's blob store, as with a git push.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import { pushFiles, startRegistry, until, wfctl, type Registry } from './plugin-support.ts';
import { tempDir } from './registry-support.ts';

const appId = '424242';
const installationId = '77';
const app = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** One repository ("acme/registry") with a main branch; records the commits and pull requests made. */
class FakeGitHub {
  server!: Server;
  url = '';
  tokens = new Set(['pat-token']);
  files = new Map<string, string>([['README.md', 'registry\n']]);
  trees = new Map<string, Array<{ path: string; content: string }>>();
  commits = new Map<string, { tree: string; message: string; parents: string[] }>([
    ['c0', { tree: 't0', message: 'init', parents: [] }],
  ]);
  refs = new Map<string, string>([['heads/main', 'c0']]);
  pulls: Array<{ number: number; head: string; base: string; title: string; body: string }> = [];
  jwtIssuers: string[] = [];

  async start(): Promise<void> {
    const gh = express();
    gh.use(express.json({ limit: '5mb' }));
    gh.post('/app/installations/:id/access_tokens', (req, res) => {
      const jwt = /^(?:Bearer|bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const claims = jwt && verifyJwt(jwt);
      if (!claims || req.params.id !== installationId)
        return void res.status(401).json({ message: 'A JSON web token could not be decoded' });
      this.jwtIssuers.push(String(claims.iss));
      const token = `ghs_${randomUUID().replaceAll('-', '')}`;
      this.tokens.add(token);
      res.status(201).json({ token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {} });
    });
    gh.use('/repos', (req, res, next) => {
      const token = /^(?:token|bearer|Bearer) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!token || !this.tokens.has(token)) return void res.status(401).json({ message: 'Bad credentials' });
      next();
    });
    gh.get(
      '/repos/acme/registry',
      (_req, res) => void res.json({ full_name: 'acme/registry', default_branch: 'main' }),
    );
    gh.get('/repos/acme/registry/git/ref/*ref', (req, res) => {
      const ref = (req.params as unknown as { ref: string[] }).ref.join('/');
      const sha = this.refs.get(ref);
      if (!sha) return void res.status(404).json({ message: 'Not Found' });
      res.json({ ref: `refs/${ref}`, object: { sha, type: 'commit' } });
    });
    gh.get('/repos/acme/registry/git/commits/:sha', (req, res) => {
      const c = this.commits.get(req.params.sha);
      if (!c) return void res.status(404).json({ message: 'Not Found' });
      res.json({ sha: req.params.sha, tree: { sha: c.tree }, message: c.message, parents: [] });
    });
    gh.get('/repos/acme/registry/contents/*path', (req, res) => {
      const path = (req.params as unknown as { path: string[] }).path.join('/');
      const text = this.files.get(path);
      if (text === undefined) return void res.status(404).json({ message: 'Not Found' });
      res.json({ type: 'file', encoding: 'base64', path, content: Buffer.from(text).toString('base64') });
    });
    gh.post('/repos/acme/registry/git/trees', (req, res) => {
      const sha = `t${this.trees.size + 1}`;
      this.trees.set(sha, req.body.tree);
      res.status(201).json({ sha, tree: req.body.tree });
    });
    gh.post('/repos/acme/registry/git/commits', (req, res) => {
      const sha = `c${this.commits.size}`;
      this.commits.set(sha, { tree: req.body.tree, message: req.body.message, parents: req.body.parents });
      res.status(201).json({ sha });
    });
    gh.post('/repos/acme/registry/git/refs', (req, res) => {
      const ref = String(req.body.ref).replace(/^refs\//, '');
      if (this.refs.has(ref)) return void res.status(422).json({ message: 'Reference already exists' });
      this.refs.set(ref, req.body.sha);
      res.status(201).json({ ref: req.body.ref, object: { sha: req.body.sha } });
    });
    gh.post('/repos/acme/registry/pulls', (req, res) => {
      const number = this.pulls.length + 1;
      this.pulls.push({ number, ...req.body });
      res.status(201).json({
        number,
        html_url: `https://github.example/acme/registry/pull/${number}`,
        head: { ref: req.body.head },
      });
    });
    await new Promise<void>((resolve) => {
      this.server = gh.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The files a pull request's commit adds. */
  filesOf(pr: { head: string }): Map<string, string> {
    const commit = this.commits.get(this.refs.get(`heads/${pr.head}`)!)!;
    return new Map(this.trees.get(commit.tree)!.map((f) => [f.path, f.content]));
  }
}

/** An RS256 JWT as GitHub checks it: signature by the App's key, iss the App id, not expired. */
function verifyJwt(jwt: string): Record<string, unknown> | undefined {
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return undefined;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  if (header.alg !== 'RS256') return undefined;
  const ok = createVerify('RSA-SHA256')
    .update(`${h}.${p}`)
    .verify(createPublicKey(app.publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(s, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  return ok && String(claims.iss) === appId && Number(claims.exp) * 1000 > Date.now() ? claims : undefined;
}

let dirs: ReturnType<typeof tempDir>;
let reg: Registry;
let github: FakeGitHub;
let env: Record<string, string>;
let project = '';

before(async () => {
  dirs = tempDir('plugin-publish-pr-');
  reg = await startRegistry(dirs.path);
  github = new FakeGitHub();
  await github.start();
  env = {
    WFCTL_KEYS_DIR: join(dirs.path, 'keys'),
    WFCTL_REGISTRY_URL: reg.registry.url,
    WFCTL_PUBLISH_TOKEN: reg.publishToken,
  };
  const keys = await wfctl(['keys', 'generate', '--publisher', 'PR Tests'], { env });
  assert.equal(keys.code, 0, keys.stderr);
  // the registry's own repository (what the pull requests merge into) trusts the key
  const trusted = JSON.parse(readFileSync(join(env.WFCTL_KEYS_DIR!, 'default.pub.json'), 'utf8'));
  await pushFiles(reg, { [`keys/${trusted.keyId}.json`]: JSON.stringify(trusted) }, 'trust the key');
  await until('the registry to serve the key', async () => {
    const r = await fetch(`${reg.registry.url}/api/v1/keys`);
    return r.ok && (await r.text()).includes(trusted.keyId);
  });
  const init = await wfctl(['plugin', 'init', 'prdemo', '--dir', dirs.path], { env });
  assert.equal(init.code, 0, init.stderr);
  project = join(dirs.path, 'prdemo');
});

after(async () => {
  await new Promise((r) => github?.server.close(r));
  await reg?.close();
  dirs?.cleanup();
});

const pr = (...extra: string[]) =>
  wfctl(
    ['publish', '--dir', project, '--pr', '--github-repo', 'acme/registry', '--github-api-url', github.url, ...extra],
    { env },
  );

test('with a token: one commit with the signed manifest on a branch, a pull request, the archive in the blob store', {
  timeout: 180_000,
}, async () => {
  const published = await pr('--github-token', 'pat-token');
  assert.equal(published.code, 0, published.stdout + published.stderr);
  assert.match(published.stdout, /opened pull request #1: https:\/\/github\.example\/acme\/registry\/pull\/1/);
  const opened = github.pulls[0]!;
  assert.deepEqual([opened.head, opened.base, opened.title], ['publish/prdemo-0.1.0', 'main', 'publish prdemo 0.1.0']);
  const files = github.filesOf(opened);
  assert.deepEqual([...files.keys()], ['plugins/prdemo/manifest.json']);
  const manifest = JSON.parse(files.get('plugins/prdemo/manifest.json')!);
  const keyId = JSON.parse(readFileSync(join(env.WFCTL_KEYS_DIR!, 'default.pub.json'), 'utf8')).keyId;
  assert.equal(manifest.downloads[0].signature.keyId, keyId);
  assert.match(opened.body, new RegExp(`signed by key \`${keyId}\``));
  const blob = await fetch(`${reg.registry.url}/api/v1/blobs/sha256/${manifest.downloads[0].sha256}`);
  assert.equal(blob.status, 200, 'the archive is in the blob store');

  // submitted again: the branch exists, so it was submitted before
  const again = await pr('--github-token', 'pat-token');
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /branch publish\/prdemo-0\.1\.0 already exists .*submitted before/);

  const refused = await pr('--github-token', 'wrong');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /GitHub: reading branch main failed: Bad credentials/);
  assert.match(refused.stderr, /the token or GitHub App credentials were refused/);
});

test('as a GitHub App: the installation token is obtained with a JWT signed by the App key', {
  timeout: 180_000,
}, async () => {
  // a version already merged upstream is refused; a new one moves the current manifest to versions/
  github.files.set(
    'plugins/prdemo/manifest.json',
    JSON.stringify({ name: 'prdemo', version: '0.1.0', description: 'merged' }),
  );
  const manifestPath = join(project, 'manifest.json');
  const keyFile = join(dirs.path, 'app.pem');
  writeFileSync(keyFile, app.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const asApp = ['--github-app-id', appId, '--github-app-key', keyFile, '--github-installation-id', installationId];

  const same = await pr(...asApp);
  assert.notEqual(same.code, 0);
  assert.match(same.stderr, /prdemo@0\.1\.0 is already published/);

  writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), version: '0.2.0' }));
  const published = await pr(...asApp);
  assert.equal(published.code, 0, published.stdout + published.stderr);
  assert.ok(github.jwtIssuers.length > 0 && github.jwtIssuers.every((iss) => iss === appId));
  const opened = github.pulls.at(-1)!;
  assert.equal(opened.head, 'publish/prdemo-0.2.0');
  const files = github.filesOf(opened);
  assert.equal(JSON.parse(files.get('plugins/prdemo/manifest.json')!).version, '0.2.0');
  assert.equal(JSON.parse(files.get('plugins/prdemo/versions/0.1.0.json')!).description, 'merged');
});
