import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerProcess } from './container-process.ts';

// a process that ignores SIGTERM, as a server that never drains would
const STUBBORN = `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('up');
setInterval(() => {}, 1000);`;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("stop(graceMs): a deletion's grace period replaces the spec's before SIGKILL", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'container-process-'));
  try {
    const plan = {
      command: process.execPath,
      args: ['-e', STUBBORN],
      env: { PATH: process.env.PATH ?? '' },
      cwd: dir,
      mounts: [],
      prepare: [],
      workingDir: '/',
      stdin: false,
    };
    const log = join(dir, 'logs', '0.log');
    // the spec's grace is ten minutes: only the shorter one given to stop() lets this test finish
    const container = new ContainerProcess(
      'c',
      'img',
      plan,
      join(dir, 'logs'),
      join(dir, 'c.pid'),
      { initialMs: 100, maxMs: 100 },
      600_000,
      0,
      () => {},
    );
    container.start();
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('up'), 'the process to start');
    await container.stop(200);
    const last = container.status().lastState.terminated as { exitCode: number; signal?: number };
    assert.deepEqual({ exitCode: last.exitCode, signal: last.signal }, { exitCode: 137, signal: 9 }, 'SIGKILLed');
    assert.match(readFileSync(log, 'utf8'), /ignoring SIGTERM/, 'SIGTERM came first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
