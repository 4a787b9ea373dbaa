// Upstream's shared scenario 24 (artifact store) as it is: its own test/run.sh drives `wfctl run` on
// its own config through upload, list, download and delete over HTTP. run.sh starts "the workflow
// server" it is given in WORKFLOW_SERVER with upstream's flags (-config, -data-dir): scripts/
// workflow-server.ts, as `npm run conformance` gives it, on a free port (WORKFLOW_ADDR) instead of the
// config's fixed :18124, and run.sh's BASE_URL to match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../plugins/testing/index.ts';
import { writeServerCommand } from '../scripts/conformance.ts';

const root = new URL('..', import.meta.url).pathname;
const corpus = process.env.WORKFLOW_CORPUS ?? join(root, 'test', 'fixtures', 'corpus');
const scenario = join(corpus, 'workflow-scenarios', 'scenarios', '24-artifact-store');

test("scenario 24 (artifact store): upstream's run.sh passes against our workflow-server", async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'wf-scenario-24-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const copy = join(work, '24-artifact-store');
  cpSync(scenario, copy, { recursive: true });
  const port = await freePort();
  const child = spawn('bash', [join(copy, 'test', 'run.sh')], {
    env: {
      ...process.env,
      WORKFLOW_SERVER: writeServerCommand(work),
      WORKFLOW_ADDR: `127.0.0.1:${port}`,
      BASE_URL: `http://127.0.0.1:${port}`,
    },
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
