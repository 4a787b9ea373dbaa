import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { engineVersion } from '../engine/index.ts';

const wfctl = new URL('../bin/wfctl.js', import.meta.url).pathname;

test('wfctl --version prints the package version', () => {
  const out = execFileSync(process.execPath, [wfctl, '--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), engineVersion);
});

test('wfctl with an unknown command exits non-zero with a usage hint', () => {
  try {
    execFileSync(process.execPath, [wfctl, 'no-such-command'], { encoding: 'utf8', stdio: 'pipe' });
    assert.fail('expected a non-zero exit');
  } catch (err) {
    const e = err as { status: number; stderr: string };
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /unknown command|too many arguments/);
  }
});
