// Docker cannot run here, so the Dockerfile is checked for what can go wrong without it: every path
// it copies from the build context or from the build stage exists after a build, and it pins Node 20,
// runs as non-root and has wfctl as its entrypoint.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#'));

test('every path the Dockerfile copies exists after a build', () => {
  // scripts/run-tests.mjs built dist/ before the tests; the build stage's own files are the checkout's
  const copies = lines.filter((l) => /^COPY\s/.test(l));
  assert.ok(copies.length >= 5, 'expected the COPY lines');
  for (const line of copies) {
    const args = line.trim().split(/\s+/).slice(1);
    const from = args.find((a) => a.startsWith('--from='))?.slice('--from='.length);
    const sources = args.filter((a) => !a.startsWith('--')).slice(0, -1);
    for (const src of sources) {
      if (from === 'deps') {
        assert.equal(src, '/app/node_modules', `${line}: the deps stage only provides node_modules`);
        continue;
      }
      const path = from === 'build' ? join(root, src.replace(/^\/src\/?/, '')) : join(root, src);
      assert.ok(existsSync(path), `${line}: ${path} does not exist`);
    }
  }
});

test('pinned Node 20 base, non-root user, wfctl entrypoint, production dependencies only', () => {
  const bases = lines.filter((l) => /^FROM\s/.test(l)).map((l) => l.split(/\s+/)[1]);
  assert.ok(bases.length >= 2, 'multi-stage');
  for (const b of bases) assert.match(b!, /^node:20\.\d+\.\d+-/, `${b}: pin an exact Node 20 release`);
  assert.match(dockerfile, /^USER 65532:65532$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["wfctl"\]$/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  const dockerignore = readFileSync(join(root, '.dockerignore'), 'utf8');
  for (const excluded of ['node_modules', 'dist', '.git']) assert.match(dockerignore, new RegExp(`^${excluded}$`, 'm'));
});
