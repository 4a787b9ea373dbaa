// The package as npm publishes it: `npm pack`, installed into a clean temp project with production
// dependencies only. Its wfctl answers --version and runs an app; a TypeScript program imports the
// engine through the package's `exports` and `types`, type-checks against them, and runs an app.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const { name, version } = JSON.parse(
  execFileSync('npm', ['pkg', 'get', 'name', 'version'], { cwd: root, encoding: 'utf8' }),
);
const work = mkdtempSync(join(tmpdir(), 'wf-package-'));
const project = join(work, 'consumer');
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

// generous: on a loaded 2-core machine the build and the install take minutes
before(
  () => {
    // npm pack runs the full build (prepare): dist/ with the CLI, the library and its declarations
    npm(['pack', '--pack-destination', work], root);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote no tarball');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // production dependencies only; no install scripts (better-sqlite3 is not needed by these apps)
    npm(['install', join(work, tarball), '--omit=dev', '--ignore-scripts', '--prefer-offline'], project);
    copyFileSync(join(root, 'examples', 'hello', 'workflow.yaml'), join(project, 'workflow.yaml'));
  },
  { timeout: 1_200_000 },
);
after(() => rmSync(work, { recursive: true, force: true }));

test('the packed wfctl answers --version', () => {
  const out = execFileSync(process.execPath, [join(project, 'node_modules', '.bin', 'wfctl'), '--version'], {
    cwd: project,
    encoding: 'utf8',
  });
  assert.equal(out.trim(), version);
});

test('the packed wfctl runs an app', { timeout: 120_000 }, async () => {
  const child = spawn(
    process.execPath,
    [join(project, 'node_modules', '.bin', 'wfctl'), 'run', 'workflow.yaml', '--addr', '127.0.0.1:0'],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c) => {
        out += c;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`wfctl run exited ${code}: ${out}`)));
    });
    const res = await fetch(`${url}/?name=Ada`);
    assert.equal(res.status, 200);
    assert.match(JSON.stringify(await res.json()), /Hello, Ada!/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('a TypeScript program embeds the engine through the package exports and types', { timeout: 120_000 }, () => {
  writeFileSync(
    join(project, 'main.ts'),
    `import { Engine, corePlugins, silentLogger, type EngineOptions } from '${name}';
const options: EngineOptions = { plugins: corePlugins, logger: silentLogger(), httpAddress: '127.0.0.1:0' };
const engine = await Engine.fromFile('workflow.yaml', options);
await engine.start();
const [server] = engine.addresses();
const body = (await (await fetch(\`http://127.0.0.1:\${server!.port}/?name=Embedder\`)).json()) as { message: string };
await engine.stop();
process.stdout.write(body.message);
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: [],
        outDir: 'out',
      },
      files: ['main.ts'],
    }),
  );
  // a type error in the package's declarations (or a wrong `types`) fails here
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {
    cwd: project,
    encoding: 'utf8',
  });
  const out = execFileSync(process.execPath, [join(project, 'out', 'main.js')], { cwd: project, encoding: 'utf8' });
  assert.equal(out, 'Hello, Embedder!');
});
