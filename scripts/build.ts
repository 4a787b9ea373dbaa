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
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import standalone from 'ajv/dist/standalone/index.js';
import { build, type Metafile, type Plugin } from 'esbuild';
import { type ValidatorName, validatorDefinitions } from '../schema/validator-definitions.ts';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const dist = join(root, 'dist');
const staleChunkAgeMs = 60 * 60 * 1000;

/**
 * npm packages bundled into dist/ rather than loaded from node_modules: small pure-JS ones on the
 * paths that must start fast (commander for every command; yaml, semver and tar for `wfctl registry
 * index`). Node resolves and compiles a package's files one by one (yaml alone is ~90 CommonJS files);
 * as part of a chunk they cost about a quarter of that. Every other package stays external and is
 * installed by `npm ci --omit=dev`.
 */
const bundledPackages = ['commander', 'yaml', 'semver', 'tar'];

/** Every package the sources may import but those bundled, with their subpaths. */
function externalPackages(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies });
  return names.filter((n) => !bundledPackages.includes(n)).flatMap((n) => [n, `${n}/*`]);
}

/**
 * Built-ins a bundled package requires at its top but uses on rare paths only: loaded on first use.
 * commander requires child_process (with net, dgram and streams: ~8% of `wfctl registry index`) for
 * executable subcommands, which wfctl has none of.
 */
const lazyBuiltins = new Set(['child_process']);

/**
 * A bundled CommonJS package's `require('node:fs')` becomes the built-in itself: an ES module has no
 * `require`, and esbuild's stand-in throws "Dynamic require of ... is not supported". Our own static
 * `import ... from 'node:fs'` does too: Node's ES module facade of a built-in reads every export when it
 * is imported, so importing node:fs loaded its file streams and node:crypto its webcrypto (~30 internal
 * modules, ~6% of `wfctl registry index`); the CommonJS interop reads an export where it is used. (The
 * lazy ones stay native imports there: the interop copies a module's keys, which the proxy has none of.)
 */
const builtinRequires: Plugin = {
  name: 'builtin-requires',
  setup(b) {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    b.onResolve({ filter: /^[a-z:_/]+$/ }, (args) =>
      builtins.has(args.path) &&
      (args.kind === 'require-call' ||
        (args.kind === 'import-statement' && !lazyBuiltins.has(args.path.replace(/^node:/, ''))))
        ? { path: args.path, namespace: 'builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const load = `process.getBuiltinModule(${JSON.stringify(args.path)})`;
      if (!lazyBuiltins.has(args.path.replace(/^node:/, '')))
        return { loader: 'js', contents: `module.exports = ${load};` };
      return {
        loader: 'js',
        contents: [
          'let m;',
          `const load = () => (m ??= ${load});`,
          'module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });',
        ].join('\n'),
      };
    });
  },
};

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

/**
 * Each validator as ajv standalone code in its own CommonJS file (what ajv emits: `require`s of its
 * runtime helpers), dist/validator-<name>-<hash>.cjs: loaded with `require` on first use, so a command
 * loads only the validators it runs (`wfctl registry index` the manifest one, not the three others'
 * ~300 KB), and compiledValidator stays synchronous. Named by content like the chunks.
 */
function standaloneValidators(): Map<ValidatorName, { file: string; contents: string }> {
  const out = new Map<ValidatorName, { file: string; contents: string }>();
  for (const name of Object.keys(validatorDefinitions) as ValidatorName[]) {
    const definition = validatorDefinitions[name];
    const ajv = definition.newAjv({ code: { source: true } });
    const contents = standalone.default(ajv, ajv.compile(definition.schema));
    const hash = createHash('sha256').update(contents).digest('base64url').slice(0, 8);
    out.set(name, { file: `validator-${name}-${hash}.cjs`, contents });
  }
  return out;
}

/**
 * A bundled CommonJS package (yaml, semver) behind an ES module that names its exports. In a split
 * bundle esbuild gives a CommonJS module only a default export where it is the target of a dynamic
 * import, so `const { stringify } = await import('yaml')` (which Node's own loader answers) would
 * find nothing.
 */
const bundledCommonJs: Plugin = {
  name: 'bundled-commonjs',
  setup(b) {
    b.onResolve({ filter: /^[\w@][\w@./-]*$/ }, async (args) => {
      if (!bundledPackages.includes(args.path) || args.namespace === 'bundled-commonjs') return undefined;
      if (args.pluginData === 'as-is') return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'as-is',
      });
      return isCommonJs(resolved.path) ? { path: args.path, namespace: 'bundled-commonjs' } : resolved;
    });
    b.onLoad({ filter: /.*/, namespace: 'bundled-commonjs' }, (args) => {
      const names = Object.keys(require(args.path) as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
      return {
        loader: 'js',
        resolveDir: root,
        contents: [
          `import m from ${JSON.stringify(args.path)};`,
          'export default m;',
          `export const { ${names.filter((n) => n !== 'default').join(', ')} } = m;`,
        ].join('\n'),
      };
    });
  },
};

/** Whether Node loads this file as CommonJS: .cjs, or .js in a package without "type": "module". */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type !== 'module';
  }
  return true;
}

/** Replaces schema/validators.ts (in-memory ajv compiling) with a loader of the validators compiled now. */
const precompiledValidators = (validators: ReturnType<typeof standaloneValidators>): Plugin => ({
  name: 'precompiled-validators',
  setup(b) {
    const files = Object.fromEntries([...validators].map(([name, v]) => [name, `./${v.file}`]));
    b.onLoad({ filter: /\/schema\/validators\.ts$/ }, () => ({
      loader: 'js',
      contents: [
        "import { createRequire } from 'node:module';",
        'const require = createRequire(import.meta.url);',
        `const files = ${JSON.stringify(files)};`,
        'const loaded = new Map();',
        'export function compiledValidator(name) {',
        '  if (!loaded.has(name)) loaded.set(name, require(files[name]));',
        '  return loaded.get(name);',
        '}',
      ].join('\n'),
    }));
  },
});

/** Where each name a folder's index.ts re-exports is defined: `name -> [file, name there]`. */
type Barrel = Map<string, { file: string; name: string }>;

/**
 * The re-exports of a folder's public surface, when it holds nothing but `export { ... } from` lists
 * (undefined otherwise: such an index.ts is left as it is).
 */
function readBarrel(file: string): Barrel | undefined {
  const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const barrel: Barrel = new Map();
  const rest = text.replace(/export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)';?/g, (_, type, names, from) => {
    if (!type)
      for (const spec of importSpecifiers(names))
        if (!spec.type) barrel.set(spec.alias, { file: resolve(dirname(file), from), name: spec.name });
    return '';
  });
  return rest.trim() === '' ? barrel : undefined;
}

/** `a, b as c, type T` -> [{ name: 'a', alias: 'a' }, { name: 'b', alias: 'c' }, { type: true, ... }] */
function importSpecifiers(list: string): { name: string; alias: string; type: boolean }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const type = s.startsWith('type ');
      const [name, alias = name] = s.replace(/^type\s+/, '').split(/\s+as\s+/) as [string, string?];
      return { name, alias, type };
    });
}

/**
 * `import { a, b } from '../folder/index.ts'` -> one import per file that defines them. esbuild assigns
 * whole files to chunks by which entry points reach them, so every command that imported through a
 * folder's index.ts would load every file and package of that folder: `wfctl registry index` would
 * start express, isomorphic-git, SQLite and pino to read 104 JSON files. The sources keep importing
 * through index.ts (the folder's public surface); only the bundle imports past it.
 */
function importPastBarrels(importer: string, text: string, barrels: Map<string, Barrel | undefined>): string {
  return text.replace(
    /^import\s+\{([^}]*)\}\s*from\s*'(\.{1,2}\/[^']*\/index\.ts)';?/gm,
    (statement, names: string, from: string) => {
      const barrelFile = resolve(dirname(importer), from);
      if (!barrels.has(barrelFile)) barrels.set(barrelFile, readBarrel(barrelFile));
      const barrel = barrels.get(barrelFile);
      if (!barrel) return statement;
      const byFile = new Map<string, string[]>();
      for (const spec of importSpecifiers(names)) {
        if (spec.type) continue; // erased
        const target = barrel.get(spec.name);
        if (!target) return statement; // a name this parse did not see: keep the statement whole
        const list = byFile.get(target.file) ?? byFile.set(target.file, []).get(target.file)!;
        list.push(target.name === spec.alias ? spec.alias : `${target.name} as ${spec.alias}`);
      }
      const specifier = (file: string) => {
        const path = relative(dirname(importer), file);
        return path.startsWith('.') ? path : `./${path}`;
      };
      // as many lines as the statement had, so that the source map's lines stay the source's
      const imports = [...byFile].map(([file, list]) => `import { ${list.join(', ')} } from '${specifier(file)}';`);
      return imports.join(' ') + '\n'.repeat(statement.split('\n').length - 1);
    },
  );
}

/**
 * Our sources as the bundle needs them: imports past folders' index.ts (above), and module locations
 * kept. Every output file sits in dist/, so a module's own location is a fixed relative path from
 * there: `new URL('./x', import.meta.url)` keeps meaning "beside this source file" in a bundle.
 */
const sourceTransforms = (outdir: string): Plugin => ({
  name: 'source-transforms',
  setup(b) {
    const barrels = new Map<string, Barrel | undefined>();
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      let text = importPastBarrels(args.path, readFileSync(args.path, 'utf8'), barrels);
      if (text.includes('import.meta.url'))
        text = text.replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(relative(outdir, args.path))}, import.meta.url).href`,
        );
      return { loader: 'ts', contents: text };
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
  const validators = standaloneValidators();
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: externalPackages(),
    sourcemap: 'linked',
    chunkNames: '[name]-[hash]',
    define: { 'import.meta.bundled': 'true' },
    write: false,
    metafile: true,
    logLevel: 'warning',
    plugins: [builtinRequires, bundledCommonJs, precompiledValidators(validators), sourceTransforms(outdir)],
  });
  const entryFiles = new Set(Object.keys(entryPoints).flatMap((n) => [`${n}.js`, `${n}.js.map`]));
  const outputs: { name: string; contents: Uint8Array | string }[] = [
    ...result.outputFiles.map((f) => ({ name: relative(outdir, f.path), contents: f.contents })),
    ...[...validators.values()].map((v) => ({ name: v.file, contents: v.contents })),
  ];
  // chunks first (new names only add), then the entries that import them
  for (const f of outputs.filter((o) => !entryFiles.has(o.name))) publish(join(outdir, f.name), f.contents);
  for (const f of outputs.filter((o) => entryFiles.has(o.name))) publish(join(outdir, f.name), f.contents);

  // the validators are compiled from schema/ outside esbuild's graph: every file there counts
  const inputs = [
    ...new Set([
      ...Object.keys(result.metafile.inputs),
      ...[...fingerprints.keys()].filter((f) => f.startsWith('schema/')),
    ]),
  ].filter((f) => fingerprints.has(f));
  publish(
    join(outdir, 'build-info.json'),
    `${JSON.stringify({ inputs: Object.fromEntries(inputs.map((f) => [f, fingerprints.get(f)])) }, null, 1)}\n`,
  );

  const current = new Set(outputs.map((o) => o.name));
  for (const name of readdirSync(outdir)) {
    if (!/\.(js|cjs|js\.map)$/.test(name) || current.has(name)) continue;
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
