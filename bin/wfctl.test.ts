// bin/wfctl.js runs dist/ only while it is current: in a source checkout, a source file newer than
// the build (or a missing build) makes it run the sources, so no one runs stale code unknowingly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, '.tmp'), { recursive: true });
// inside the checkout, so the copy of bin/wfctl.js finds tsx in node_modules as the real one does
const dir = mkdtempSync(join(root, '.tmp', 'bin-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

mkdirSync(join(dir, 'bin'));
mkdirSync(join(dir, 'cli'));
mkdirSync(join(dir, 'dist'));
copyFileSync(join(root, 'bin', 'wfctl.js'), join(dir, 'bin', 'wfctl.js'));
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
writeFileSync(join(dir, 'dist', 'wfctl.js'), "process.stdout.write('dist');\n");
const source = join(dir, 'cli', 'wfctl.ts');
writeFileSync(source, "const from: string = 'sources';\nprocess.stdout.write(from);\n");

function recordBuild(): void {
  const s = statSync(source);
  writeFileSync(
    join(dir, 'dist', 'build-info.json'),
    JSON.stringify({ inputs: { 'cli/wfctl.ts': `${s.mtimeMs}:${s.size}` } }),
  );
}
const wfctl = () => execFileSync(process.execPath, [join(dir, 'bin', 'wfctl.js')], { encoding: 'utf8' });

test('a current dist/ runs', () => {
  recordBuild();
  assert.equal(wfctl(), 'dist');
});

test('a source changed after the build runs the sources', () => {
  recordBuild();
  writeFileSync(source, "const from: string = 'sources';\nprocess.stdout.write(from); // edited\n");
  assert.equal(wfctl(), 'sources');
});

test('a checkout never built runs the sources', () => {
  rmSync(join(dir, 'dist', 'build-info.json'));
  assert.equal(wfctl(), 'sources');
});

test('an installed package (no sources) runs dist/', () => {
  rmSync(source);
  assert.equal(wfctl(), 'dist');
});
