// wfctl registry validate|index and wfctl plugin search|info. One run goes through the real bin in a
// child process; the rest call the CLI's main() in-process with stdout/stderr captured (a wfctl
// process start costs seconds of TypeScript loading).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { startRegistryServer } from '../registry-index/index.ts';
import { corpusRegistry, corpusRepo, tempDir } from './registry-support.ts';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;
const spawnWfctl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const r = await promisify(execFile)(process.execPath, [wfctl, ...args], { encoding: 'utf8' });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

type Result = { code: number; stdout: string; stderr: string };

/** Several wfctl command lines in one child process (see registry-cli-batch.ts). */
async function runAll(...runs: string[][]): Promise<Result[]> {
  const batch = new URL('./registry-cli-batch.ts', import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', batch, JSON.stringify(runs)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Result[];
}

test('registry validate: PASS on the corpus, compiler-style errors and exit 1 on a broken manifest, -o json', {
  timeout: 60_000,
}, async () => {
  const dir = tempDir();
  try {
    cpSync(corpusRegistry, dir.path, { recursive: true });
    const ok = await spawnWfctl('registry', 'validate', dir.path, '-q');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^PASS .*: 0 errors, 62 warnings in 9 files$/m);
    const file = join(dir.path, 'plugins/slack/manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"license"', '"licence"'));
    const [bad, single, missing] = await runAll(
      ['registry', 'validate', dir.path, '-q'],
      ['registry', 'validate', file, '-o', 'json'],
      ['registry', 'validate', join(dir.path, 'nope')],
    );
    assert.equal(bad!.code, 1);
    assert.match(
      bad!.stdout,
      new RegExp(
        String.raw`^plugins\/slack\/manifest\.json:\d+:3: error schema\/additionalProperties: unknown property` +
          String.raw` "licence" in the manifest \(at \/licence\)\n {2}hint: did you mean "license"\?$`,
        'm',
      ),
    );
    assert.match(bad!.stdout, /^FAIL /m);
    assert.equal(single!.code, 1);
    const parsed = JSON.parse(single!.stdout) as { ok: boolean; problems: Array<{ file: string; rule: string }> };
    assert.equal(parsed.ok, false);
    assert.deepEqual(
      parsed.problems.map((p) => [p.file, p.rule]),
      [
        ['plugins/slack/manifest.json', 'schema/required'],
        ['plugins/slack/manifest.json', 'schema/additionalProperties'],
      ],
    );
    assert.equal(missing!.code, 1);
    assert.match(missing!.stderr, /no such file or directory\n {2}hint:/);
  } finally {
    dir.cleanup();
  }
});

test('registry index writes the upstream static layout', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  try {
    corpusRepo(dir.path);
    const out = join(dir.path, 'site');
    const [r] = await runAll(['registry', 'index', dir.path, '--out', out, '--rev', 'main', '-o', 'json']);
    assert.ok(r);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { plugins: number; public: number };
    assert.deepEqual([summary.plugins, summary.public], [104, 96]);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as Array<{ name: string }>;
    assert.equal(index.length, 96);
    assert.deepEqual(
      index.map((p) => p.name),
      [...index.map((p) => p.name)].sort(),
    );
    assert.ok(existsSync(join(out, 'plugins/http/manifest.json')));
    assert.equal(
      JSON.parse(readFileSync(join(out, 'plugins/workflow-plugin-aws/latest.json'), 'utf8')).version,
      '2.3.7',
    );
  } finally {
    dir.cleanup();
  }
});

test('plugin search and info against a registry server', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  corpusRepo(dir.path);
  const server = await startRegistryServer({ repo: dir.path, schedule: null, logger: pino({ level: 'silent' }) });
  try {
    await server.initialSync;
    const [search, info, json, missing, down] = (await runAll(
      ['plugin', 'search', 'slack', '--registry', server.url],
      ['plugin', 'info', 'workflow-plugin-aws@^2', '--registry', server.url],
      ['plugin', 'info', 'aws', '--registry', server.url, '-o', 'json'],
      ['plugin', 'info', 'no-such-plugin', '--registry', server.url],
      ['plugin', 'search', 'x', '--registry', 'http://127.0.0.1:9'],
    )) as [Result, Result, Result, Result, Result];
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, /^NAME\s+VERSION\s+TIER\s+TYPE\s+DESCRIPTION\nslack\s/);
    assert.match(info.stdout, /^resolves \^2:\s+2\.3\.7$/m);
    assert.equal((JSON.parse(json.stdout) as { name: string }).name, 'workflow-plugin-aws');
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /plugin "no-such-plugin" not found\n {2}hint: find the name with: wfctl plugin search/,
    );
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the registry/);
  } finally {
    await server.close();
    dir.cleanup();
  }
});
