// The pre-receive check as the git server runs it: in its own process through the hook relay, with a
// cache of indexed commits; and the hook's fallback when the server does not answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { corpusRepo, git, json, manifest, tempDir } from '../test/registry-support.ts';
import { startGitServer } from './git-server.ts';
import { checkPush, type PushCheckCache, type PushVerdict } from './push-check.ts';
import { startPushCheckRelay } from './push-check-relay.ts';
import { generateSigningKey, loadSigningKey, signArchive } from './signing.ts';

const execFileAsync = promisify(execFile);
const logger = pino({ level: 'silent' });
let dirs: ReturnType<typeof tempDir>;
let work: string;
let base: string;

before(() => {
  dirs = tempDir('push-check-');
  work = join(dirs.path, 'work');
  mkdirSync(work);
  base = corpusRepo(work);
});

after(() => dirs?.cleanup());

function write(path: string, content: string): void {
  mkdirSync(join(work, path, '..'), { recursive: true });
  writeFileSync(join(work, path), content);
}

/** Commits the edits on top of `from` and returns the commit (the work tree goes back to `from` first). */
function commitOn(from: string, message: string, edit: () => void): string {
  git(work, 'checkout', '-q', '--detach', from);
  edit();
  git(work, 'add', '-A', '.');
  git(work, 'commit', '-q', '-m', message);
  return git(work, 'rev-parse', 'HEAD');
}

const gitdir = () => join(work, '.git');
const update = (oldOid: string, newOid: string) => [{ oldOid, newOid, ref: 'refs/heads/main' }];

test('a cached index of the previous commit gives the same verdict as indexing both commits afresh', {
  timeout: 240_000,
}, async () => {
  const key = loadSigningKey(generateSigningKey().privateKeyPem, 'test key');
  const sha256 = createHash('sha256').update('an archive').digest('hex');
  const signed = commitOn(base, 'a signed plugin and its key', () => {
    write(
      `keys/${key.keyId}.json`,
      json({ keyId: key.keyId, publisher: 'Acme', publicKey: key.publicKey, plugins: ['acme-*'] }),
    );
    write(
      'plugins/acme-signed/manifest.json',
      json(
        manifest('acme-signed', {
          downloads: [
            {
              os: 'any',
              arch: 'any',
              url: `blob:sha256:${sha256}`,
              sha256,
              signature: signArchive(key, { name: 'acme-signed', version: '1.0.0', sha256 }),
            },
          ],
        }),
      ),
    );
  });
  const aws = 'plugins/workflow-plugin-aws/manifest.json';
  const cases: Array<{ name: string; from: string; commit: string; ok: boolean; rule?: RegExp }> = [
    { name: 'the signed plugin', from: base, commit: signed, ok: true },
    {
      // the key goes; the manifest it signed is not part of this change
      name: 'a removed key',
      from: signed,
      commit: commitOn(signed, 'drop the key', () => rmSync(join(work, 'keys'), { recursive: true })),
      ok: false,
      rule: /error signature-untrusted: acme-signed@1\.0\.0 is signed by key/,
    },
    {
      name: 'a typo',
      from: base,
      commit: commitOn(base, 'typo', () =>
        write(aws, readFileSync(join(work, aws), 'utf8').replace('"type": "external"', '"type": "extrenal"')),
      ),
      ok: false,
      rule: /error schema\/enum: "type" is "extrenal"/,
    },
    {
      name: 'a re-pointed published artifact',
      from: base,
      commit: commitOn(base, 're-point', () => {
        const m = JSON.parse(readFileSync(join(work, aws), 'utf8'));
        m.downloads[0].sha256 = 'f'.repeat(64);
        write(aws, json(m));
      }),
      ok: false,
      rule: /error immutable-version: version 2\.3\.7 is already published/,
    },
    {
      name: 'a deleted plugin a template needs',
      from: base,
      commit: commitOn(base, 'delete http', () => rmSync(join(work, 'plugins/http'), { recursive: true })),
      ok: false,
      rule: /error template-plugin-reference/,
    },
  ];
  const cache: PushCheckCache = new Map();
  // the first push of the branch indexes from nothing and leaves its commit in the cache
  assert.equal((await checkPush(gitdir(), update('0'.repeat(40), base), { cache })).ok, true);
  assert.ok(cache.has(base));
  for (const c of cases) {
    const cached = await checkPush(gitdir(), update(c.from, c.commit), { cache });
    const fresh = await checkPush(gitdir(), update(c.from, c.commit));
    assert.deepEqual(cached, fresh, c.name);
    assert.equal(cached.ok, c.ok, `${c.name}: ${cached.lines.join('\n')}`);
    if (c.rule) assert.match(cached.lines.join('\n'), c.rule, c.name);
    assert.ok(cache.has(c.commit), `${c.name}: the pushed commit is cached`);
  }
  assert.ok(cache.size <= 8, 'the cache keeps a few commits only');
});

/** One request to the relay, as the hook sends it. */
function ask(socketPath: string, request: Record<string, unknown>): Promise<PushVerdict> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(JSON.stringify(request)));
    socket.on('data', (d) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(JSON.parse(answer) as PushVerdict));
  });
}

test('the relay checks only its own registry repository, and reads objects only from inside it', {
  timeout: 120_000,
}, async () => {
  const relay = await startPushCheckRelay({ accepts: (dir) => dir === gitdir(), logger });
  try {
    const request = {
      gitDir: gitdir(),
      objectDirectory: null,
      alternateObjectDirectories: null,
      quarantinePath: null,
      updates: `${'0'.repeat(40)} ${base} refs/heads/main\n`,
    };
    // the same verdict as the check run here
    const verdict = await ask(relay.socketPath, request);
    assert.equal(verdict.ok, true);
    assert.deepEqual(verdict, await checkPush(gitdir(), update('0'.repeat(40), base)));
    const other = await ask(relay.socketPath, { ...request, gitDir: dirs.path });
    assert.equal(other.ok, false);
    assert.match(other.lines[0]!, /could not be validated: .* is not a registry repository of this server/);
    const outside = await ask(relay.socketPath, { ...request, objectDirectory: '/tmp' });
    assert.equal(outside.ok, false);
    assert.match(outside.lines[0]!, /could not be validated: object directory \/tmp is outside .*objects/);
    const garbage = await ask(relay.socketPath, { gitDir: 42 });
    assert.equal(garbage.ok, false);
  } finally {
    await relay.close();
  }
});

test('with the git server stopped, a push straight into the repository is still checked (the hook runs the check)', {
  timeout: 240_000,
}, async () => {
  const token = 'relay-test-token';
  const dataDir = join(dirs.path, 'git');
  const server = await startGitServer({ dataDir, token, logger });
  const pushTo = async (target: string, commit: string) => {
    try {
      const r = await execFileAsync('git', ['push', target, `${commit}:refs/heads/main`], {
        cwd: work,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      });
      return { ok: true, output: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { stdout: string; stderr: string };
      return { ok: false, output: e.stdout + e.stderr };
    }
  };
  const typo = commitOn(base, 'typo', () => {
    const file = 'plugins/workflow-plugin-aws/manifest.json';
    write(file, readFileSync(join(work, file), 'utf8').replace('"type": "external"', '"type": "extrenal"'));
  });
  try {
    const url = server.repoUrl('registry').replace('http://', `http://pusher:${token}@`);
    const created = await pushTo(url, base);
    assert.ok(created.ok, created.output);
    assert.match(created.output, /remote: registry: refs\/heads\/main validated/);
    const relayed = await pushTo(url, typo);
    assert.equal(relayed.ok, false);
    assert.match(relayed.output, /remote: .*error schema\/enum: "type" is "extrenal"/);
  } finally {
    await server.close();
  }
  const direct = await pushTo(join(dataDir, 'registry.git'), typo);
  assert.equal(direct.ok, false, direct.output);
  assert.match(direct.output, /remote: .*error schema\/enum: "type" is "extrenal"/);
  assert.match(direct.output, /pre-receive hook declined/);
});
