// The pull-request checker against a local stand-in for GitHub's REST API (github.com is not
// reachable here): an HTTP server answering the documented shapes of the endpoints the checker calls
// (pulls/files, contents, check-runs, statuses, reviews). Octokit talks to it over HTTP via baseUrl.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { signBody, startRegistryServer, type RegistryServer } from '../registry-index/index.ts';
import { git, json, manifest, tempDir } from './registry-support.ts';

interface Call {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

/** In-memory GitHub: one repository, pull requests with file lists, file contents by ref. */
class FakeGitHub {
  calls: Call[] = [];
  checkRunsAllowed = true;
  prFiles = new Map<number, Array<{ filename: string; status: string; previous_filename?: string }>>();
  contents = new Map<string, string>(); // `${ref}:${path}` -> text
  server!: Server;
  url = '';

  async start(): Promise<void> {
    const app = express();
    app.use(express.json({ limit: '5mb' }));
    app.use((req, _res, next) => {
      this.calls.push({ method: req.method, path: req.path, body: (req.body ?? {}) as Record<string, unknown> });
      next();
    });
    app.get('/repos/:owner/:repo/pulls/:n/files', (req, res) => {
      const files = (this.prFiles.get(Number(req.params.n)) ?? []).map((f, i) => ({
        sha: `${i}`.padStart(40, '0'),
        additions: 1,
        deletions: 0,
        changes: 1,
        ...f,
      }));
      const page = Number(req.query.page ?? 1);
      res.json(page === 1 ? files : []);
    });
    app.get('/repos/:owner/:repo/contents/*path', (req, res) => {
      const path = (req.params as unknown as { path: string[] }).path.join('/');
      const text = this.contents.get(`${String(req.query.ref)}:${path}`);
      if (text === undefined)
        return void res
          .status(404)
          .json({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents' });
      res.json({
        type: 'file',
        encoding: 'base64',
        path,
        name: path.split('/').pop(),
        size: text.length,
        content: Buffer.from(text).toString('base64'),
      });
    });
    app.post('/repos/:owner/:repo/check-runs', (req, res) => {
      if (!this.checkRunsAllowed)
        return void res.status(403).json({ message: 'Resource not accessible by personal access token' });
      res.status(201).json({ id: 4242, name: req.body.name, head_sha: req.body.head_sha, status: req.body.status });
    });
    app.patch(
      '/repos/:owner/:repo/check-runs/:id',
      (req, res) => void res.json({ id: Number(req.params.id), ...req.body }),
    );
    app.post(
      '/repos/:owner/:repo/statuses/:sha',
      (req, res) => void res.status(201).json({ id: 1, state: req.body.state, context: req.body.context }),
    );
    app.post(
      '/repos/:owner/:repo/pulls/:n/reviews',
      (req, res) => void res.json({ id: 7, state: 'CHANGES_REQUESTED', body: req.body.body }),
    );
    await new Promise<void>((r) => (this.server = app.listen(0, '127.0.0.1', () => r())));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  callsTo(method: string, pattern: RegExp): Call[] {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path));
  }
}

const secret = 'pr-webhook-secret';
let dirs: ReturnType<typeof tempDir>;
let github: FakeGitHub;
let registry: RegistryServer;
const sha256 = 'c'.repeat(64);
const url = (v: string) => `https://github.com/example/stash/releases/download/v${v}/stash-linux-amd64.tar.gz`;
const stash = (v: string, extra: Record<string, unknown> = {}) =>
  manifest('stash', { version: v, downloads: [{ os: 'linux', arch: 'amd64', url: url(v), sha256 }], ...extra });

before(async () => {
  dirs = tempDir('registry-pr-');
  const repo = join(dirs.path, 'repo');
  const write = (p: string, c: string) => {
    mkdirSync(dirname(join(repo, p)), { recursive: true });
    writeFileSync(join(repo, p), c);
  };
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  write('plugins/stash/manifest.json', json(stash('1.0.0')));
  write('plugins/http/manifest.json', json(manifest('http')));
  write('templates/api.yaml', 'name: api\nplugins_required: [http]\n');
  git(repo, 'add', '-A', '.');
  git(repo, 'commit', '-q', '-m', 'base');
  github = new FakeGitHub();
  await github.start();
  registry = await startRegistryServer({
    repo,
    schedule: null,
    logger: pino({ level: 'silent' }),
    github: { token: 'ghs_test', apiUrl: github.url, webhookSecret: secret },
  });
  await registry.initialSync;
});

after(async () => {
  await registry?.close();
  await github?.stop();
  dirs?.cleanup();
});

function prEvent(number: number, headSha: string, action = 'opened') {
  return {
    action,
    number,
    pull_request: {
      number,
      head: { sha: headSha, ref: 'feature', repo: { name: 'registry', owner: { login: 'contributor' } } },
      base: { sha: 'b'.repeat(40), ref: 'main' },
    },
    repository: { name: 'registry', owner: { login: 'acme' } },
  };
}

async function deliver(event: object, eventName = 'pull_request', sign = true): Promise<Response> {
  const body = JSON.stringify(event);
  return fetch(`${registry.url}/api/v1/github/webhook?wait=1`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': eventName,
      'x-github-delivery': 'd-1',
      ...(sign ? { 'x-hub-signature-256': signBody(secret, body) } : {}),
    },
  });
}

test('a pull request with a broken manifest gets a failing check run with line annotations', async () => {
  const head = '1'.repeat(40);
  github.prFiles.set(1, [
    { filename: 'plugins/quokka/manifest.json', status: 'added' },
    { filename: 'README.md', status: 'modified' },
  ]);
  github.contents.set(`${head}:plugins/quokka/manifest.json`, json(manifest('quokka', { tier: 'comunity' })));
  const r = await deliver(prEvent(1, head));
  assert.equal(r.status, 200);
  const result = (await r.json()) as { conclusion: string; reportedWith: string };
  assert.equal(result.conclusion, 'failure');
  assert.equal(result.reportedWith, 'check-run');
  const created = github.callsTo('POST', /\/check-runs$/)[0]!;
  assert.deepEqual(
    [created.body.name, created.body.head_sha, created.body.status],
    ['registry/validate', head, 'in_progress'],
  );
  const update = github.callsTo('PATCH', /\/check-runs\/4242$/).at(-1)!;
  assert.equal(update.body.conclusion, 'failure');
  const output = update.body.output as { title: string; annotations: Array<Record<string, unknown>> };
  assert.match(output.title, /Registry validation failed: 1 error/);
  assert.deepEqual(output.annotations[0], {
    path: 'plugins/quokka/manifest.json',
    start_line: 7,
    end_line: 7,
    start_column: 11,
    end_column: 11,
    annotation_level: 'failure',
    title: 'schema/enum',
    message: '"tier" is "comunity", which is not one of: core, community, premium\nhint: did you mean "community"?',
  });
});

test('a version-only bump passes and is labelled as one; a changed published artifact fails', async () => {
  const head = '2'.repeat(40);
  github.prFiles.set(2, [{ filename: 'plugins/stash/manifest.json', status: 'modified' }]);
  github.contents.set(`${head}:plugins/stash/manifest.json`, json(stash('1.1.0')));
  const ok = (await (await deliver(prEvent(2, head))).json()) as {
    conclusion: string;
    title: string;
    versionBumps: string[];
  };
  assert.equal(ok.conclusion, 'success');
  assert.deepEqual(ok.versionBumps, ['stash 1.0.0 -> 1.1.0']);
  assert.equal(ok.title, 'Version bump: stash 1.0.0 -> 1.1.0');

  const head3 = '3'.repeat(40);
  github.prFiles.set(3, [{ filename: 'plugins/stash/manifest.json', status: 'modified' }]);
  github.contents.set(
    `${head3}:plugins/stash/manifest.json`,
    json(stash('1.0.0', { downloads: [{ os: 'linux', arch: 'amd64', url: url('1.0.0'), sha256: 'd'.repeat(64) }] })),
  );
  const refused = (await (await deliver(prEvent(3, head3))).json()) as {
    conclusion: string;
    problems: Array<{ rule: string }>;
  };
  assert.equal(refused.conclusion, 'failure');
  assert.deepEqual(
    refused.problems.map((p) => p.rule),
    ['immutable-version'],
  );
});

test('deleting a plugin a template needs fails; without check-run permission, a status and review post', async () => {
  github.checkRunsAllowed = false;
  const head = '4'.repeat(40);
  github.prFiles.set(4, [{ filename: 'plugins/http/manifest.json', status: 'removed' }]);
  const result = (await (await deliver(prEvent(4, head, 'synchronize'))).json()) as {
    conclusion: string;
    reportedWith: string;
    problems: Array<{ rule: string; file: string }>;
  };
  assert.equal(result.reportedWith, 'status');
  assert.deepEqual(
    result.problems.map((p) => `${p.file} ${p.rule}`),
    ['templates/api.yaml template-plugin-reference'],
  );
  const status = github.callsTo('POST', new RegExp(`/statuses/${head}$`))[0]!;
  assert.deepEqual([status.body.state, status.body.context], ['failure', 'registry/validate']);
  const review = github.callsTo('POST', /\/pulls\/4\/reviews$/)[0]!;
  assert.equal(review.body.event, 'REQUEST_CHANGES');
  assert.deepEqual(
    (review.body.comments as Array<{ path: string; line: number }>).map((c) => [c.path, c.line]),
    [['templates/api.yaml', 2]],
  );
  github.checkRunsAllowed = true;
});

test('webhook deliveries must be signed; other events and actions are ignored', async () => {
  assert.equal((await deliver(prEvent(5, '5'.repeat(40)), 'pull_request', false)).status, 401);
  assert.equal((await deliver({ zen: 'hi' }, 'ping')).status, 200);
  assert.equal((await deliver({}, 'issues')).status, 202);
  const closed = (await (await deliver(prEvent(5, '5'.repeat(40), 'closed'))).json()) as { conclusion: string };
  assert.equal(closed.conclusion, 'skipped');
});
