import assert from 'node:assert/strict';
import { ConfigError } from '../../engine/index.ts';

/** Assert that building rejects with a located config issue at `jsonPath` whose message matches. */
export async function rejectsWithIssue(build: Promise<unknown>, jsonPath: string, message: RegExp): Promise<void> {
  await assert.rejects(build, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    const issue = err.issues.find((i) => i.jsonPath === jsonPath);
    assert.ok(
      issue,
      `no issue at ${jsonPath}; issues: ${err.issues.map((i) => `${i.jsonPath}: ${i.message}`).join(' | ')}`,
    );
    assert.match(issue.message, message);
    return true;
  });
}
