import assert from 'node:assert/strict';
import { test } from 'node:test';

test("the operator's push hook path is the one the git server notifies", async () => {
  const { hookPath } = await import('../operator/index.ts');
  const { operatorHookPath } = await import('./names.ts');
  assert.equal(operatorHookPath, hookPath);
});
