// The README's quick start as a new user runs it: a fresh clone, `npm ci`, `npm start` (with
// `-- --port-base 0`, since tests use free ports only), then: clone apps.git with real git, push an
// app, reach it over HTTP, and in headless Chromium see it Running and press "Sync now"
// (console-walkthrough.ts, which saves screenshots of every page). Ctrl-C (SIGINT to the process
// group, as a terminal sends it) then stops the whole tree with no orphan process.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { walkThroughConsole } from './console-walkthrough.ts';
import { exec, removeDir, repoRoot, startUp, tempDir, type RunningUp } from './platform-support.ts';

const dir = tempDir('wfctl-quickstart-');
let up: RunningUp | undefined;
after(async () => {
  await up?.stop('SIGKILL').catch(() => undefined);
  removeDir(dir);
});

test('quick start from a fresh clone: npm ci, npm start, push an app, the console', {
  timeout: 45 * 60_000,
}, async () => {
  const clone = join(dir, 'platform');
  await exec('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone]);
  await exec('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: clone,
    timeout: 30 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.ok(existsSync(join(clone, 'console', 'dist', 'index.html')), 'npm ci built the console');

  up = await startUp({
    dataDir: join(clone, '.wfctl'),
    command: ['npm', 'start', '--', '--port-base', '0'],
    cwd: clone,
    timeoutMs: 10 * 60_000,
  });
  assert.match(up.stdout(), /The platform is up/);
  assert.ok(existsSync(join(clone, '.wfctl', 'platform.json')), 'the default data dir is .wfctl/');

  await walkThroughConsole(up.info, { workDir: dir, pushed: 'quickstart' });

  // Ctrl-C in a terminal signals the whole foreground process group (npm, its shell, wfctl): npm and
  // the shell die of it, wfctl stops everything it started. (npm 11 does not pass a signal sent to it
  // alone on to the script.)
  const stopped = await up.stop('SIGINT', { group: true });
  const out = up.stdout();
  up = undefined;
  assert.match(out, /SIGINT: stopping the platform[\s\S]*Stopped\./);
  assert.deepEqual(stopped.survivors, [], 'no orphan processes');
});
