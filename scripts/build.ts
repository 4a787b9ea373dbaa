// Builds dist/: the wfctl CLI, the library entry (index.ts) and the registry's pre-receive hook,
// bundled by esbuild with code splitting (each wfctl command is its own chunk, loaded when it runs),
// with our JSON Schemas compiled to ajv standalone code; then the library's type declarations (tsc)
// in dist/types. `npm run build` (and `npm ci`, through prepare) runs all of it; `npm run build:dist`
// (`--dist-only`: no declarations) is what the test runner runs before the tests.
//
// Safe while other processes run the old dist/: chunk names carry a content hash and are only
// added, the entry files are replaced by rename, and chunks no build references are removed after
// an hour. dist/build-info.json records every source file's mtime and size at build time, so
// bin/wfctl.js can tell when dist/ is older than the sources (and then runs the sources instead).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import standalone from 'ajv/dist/standalone/index.js';
import { build, type Metafile, type Plugin } from 'esbuild';
import { type ValidatorName, validatorDefinitions } from '../schema/validator-definitions.ts';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const dist = join(root, 'dist');
const staleChunkAgeMs = 60 * 60 * 1000;

/** dist/<name>.js for each: the CLI, the library, and the scripts other programs run (git hooks). */
const entryPoints = {
  wfctl: 'cli/wfctl.ts',
  index: 'index.ts',
  'pre-receive-hook': 'registry-index/pre-receive-hook.ts',
  // step.jq's worker thread (plugins/pipelinesteps/jq-runner.ts starts dist/jq-worker.js)
  'jq-worker': 'plugins/pipelinesteps/jq-worker.mjs',
};

/** The source files a build may read, with their mtime:size, taken before esbuild reads them. */
function sourceFingerprints(): Map<string, string> {
  const out = new Map<string, string>();
  const skip = new Set(['node_modules', 'dist', 'data', 'test', 'bench', 'scripts']);
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !entry.name.startsWith('.')) walk(path);
      } else if (/\.(ts|json)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) {
        const s = statSync(join(root, path));
        out.set(path, `${s.mtimeMs}:${s.size}`);
      }
    }
  };
  walk('');
  return out;
}

/** ajv standalone code of one validator, as an ES module (ajv emits `require` for its runtime helpers). */
function standaloneModule(name: ValidatorName): string {
  const definition = validatorDefinitions[name];
  const ajv = definition.newAjv({ code: { source: true, esm: true } });
  const code = standalone.default(ajv, ajv.compile(definition.schema));
  const imports: string[] = [];
  const body = code.replace(/require\("([^"]+)"\)/g, (_: string, specifier: string) => {
    const binding = `runtime${imports.length}`;
    // an ES module import names the file (ajv has no exports map): 'ajv/dist/runtime/equal' -> '.../equal.js'
    const file =
      require.resolve(specifier).endsWith('.js') && !specifier.endsWith('.js') ? `${specifier}.js` : specifier;
    imports.push(`import ${binding} from ${JSON.stringify(file)};`);
    return binding;
  });
  return `${imports.join('\n')}\n${body}`;
}

/** Replaces schema/validators.ts (in-memory ajv compiling) with the validators compiled now. */
const precompiledValidators: Plugin = {
  name: 'precompiled-validators',
  setup(b) {
    const names = Object.keys(validatorDefinitions) as ValidatorName[];
    b.onLoad({ filter: /\/schema\/validators\.ts$/ }, () => ({
      loader: 'js',
      resolveDir: join(root, 'schema'),
      contents: [
        ...names.map((n, i) => `import v${i} from ${JSON.stringify(`validator:${n}`)};`),
        `const validators = { ${names.map((n, i) => `${JSON.stringify(n)}: v${i}`).join(', ')} };`,
        'export function compiledValidator(name) { return validators[name]; }',
      ].join('\n'),
    }));
    b.onResolve({ filter: /^validator:/ }, (args) => ({
      path: args.path.slice('validator:'.length),
      namespace: 'validator',
    }));
    b.onLoad({ filter: /.*/, namespace: 'validator' }, (args) => ({
      loader: 'js',
      resolveDir: root,
      contents: standaloneModule(args.path as ValidatorName),
    }));
  },
};

/**
 * Every output file sits in dist/, so a module's own location is a fixed relative path from there:
 * `new URL('./x', import.meta.url)` keeps meaning "beside this source file" in a bundle.
 */
const sourceLocations = (outdir: string): Plugin => ({
  name: 'source-locations',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const fromDist = relative(outdir, args.path);
      return {
        loader: 'ts',
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`),
      };
    });
  },
});

/** Writes a file so that a process reading it sees the old or the new content, never a mix. */
function publish(file: string, contents: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** Builds into `outdir` (dist/ by default); returns esbuild's metafile (inputs, outputs, imports). */
export async function buildDist(outdir = dist): Promise<Metafile> {
  const fingerprints = sourceFingerprints();
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    chunkNames: '[name]-[hash]',
    define: { 'import.meta.bundled': 'true' },
    write: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [precompiledValidators, sourceLocations(outdir)],
  });
  const entryFiles = new Set(Object.keys(entryPoints).flatMap((n) => [`${n}.js`, `${n}.js.map`]));
  const outputs = result.outputFiles.map((f) => ({ name: relative(outdir, f.path), contents: f.contents }));
  // chunks first (new names only add), then the entries that import them
  for (const f of outputs.filter((o) => !entryFiles.has(o.name))) publish(join(outdir, f.name), f.contents);
  for (const f of outputs.filter((o) => entryFiles.has(o.name))) publish(join(outdir, f.name), f.contents);

  const inputs = Object.keys(result.metafile.inputs).filter((f) => fingerprints.has(f));
  publish(
    join(outdir, 'build-info.json'),
    `${JSON.stringify({ inputs: Object.fromEntries(inputs.map((f) => [f, fingerprints.get(f)])) }, null, 1)}\n`,
  );

  const current = new Set(outputs.map((o) => o.name));
  for (const name of readdirSync(outdir)) {
    if (!/\.js(\.map)?$/.test(name) || current.has(name)) continue;
    const path = join(outdir, name);
    if (Date.now() - statSync(path).mtimeMs > staleChunkAgeMs) rmSync(path, { force: true });
  }
  return result.metafile;
}

/** dist/types: declarations of the library entry, with import paths a consumer's TypeScript resolves. */
export function buildTypes(): void {
  const out = join(dist, 'types');
  const tsconfig = join(root, 'tsconfig.types.json');
  rmSync(out, { recursive: true, force: true });
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], {
    cwd: root,
    stdio: 'inherit',
  });
  const rewrite = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) rewrite(path);
      else if (entry.name.endsWith('.d.ts')) {
        const text = readFileSync(path, 'utf8');
        // './engine/index.ts' -> './engine/index.js': what a consumer without allowImportingTsExtensions resolves
        writeFileSync(path, text.replace(/(from |import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
      }
    }
  };
  if (existsSync(out)) rewrite(out);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  await buildDist();
  if (!process.argv.includes('--dist-only')) buildTypes();
  process.stderr.write(`built dist/ in ${Math.round(performance.now() - started)} ms\n`);
}
