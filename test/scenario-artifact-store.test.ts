// Upstream's shared scenario 24 (artifact store) as it is: its own test/run.sh drives `wfctl run` on
// its own config through upload, list, download and delete over HTTP. run.sh starts "the workflow
// server" it is given in WORKFLOW_SERVER with upstream's flags (-config, -data-dir); the stand-in
// below turns them into `wfctl run CONFIG --data-dir DIR --addr 127.0.0.1:PORT` (a free port instead
// of the config's fixed :18124, and run.sh's BASE_URL to match).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../plugins/testing/index.ts';

const root = new URL('..', import.meta.url).pathname;
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');
const scenario = join(corpus, 'workflow-scenarios', 'scenarios', '24-artifact-store');

test("scenario 24 (artifact store): upstream's run.sh passes against wfctl run", async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'wf-scenario-24-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const copy = join(work, '24-artifact-store');
  cpSync(scenario, copy, { recursive: true });
  const port = await freePort();
  const shim = join(work, 'workflow-server');
  writeFileSync(
    shim,
    [
      '#!/bin/sh',
      '# upstream server flags -> wfctl run',
      'config=""; data=""',
      'while [ $# -gt 0 ]; do case "$1" in -config) config="$2"; shift 2;; -data-dir) data="$2"; shift 2;; *) ' +
        'shift;; esac; done',
      `exec "${process.execPath}" "${join(root, 'bin', 'wfctl.js')}" run "$config" --data-dir "$data" --addr ` +
        `127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  chmodSync(shim, 0o755);
  const child = spawn('bash', [join(copy, 'test', 'run.sh')], {
    env: { ...process.env, WORKFLOW_SERVER: shim, BASE_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const passes = output.split('\n').filter((l) => l.startsWith('PASS:'));
  const fails = output.split('\n').filter((l) => l.startsWith('FAIL:'));
  assert.deepEqual(fails, [], output);
  assert.equal(code, 0, output);
  assert.ok(passes.length >= 15, `expected every check to pass:\n${output}`);
});
