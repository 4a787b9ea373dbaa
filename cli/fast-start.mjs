// Fast start for the long-running commands: `wfctl run` (the engine container's entry point, where
// cold start matters) and `wfctl operator` (where tsx's transpiler would hold ~100 MB for the life of
// the process). Instead of transpiling every TypeScript module through tsx, run an esbuild bundle of
// the CLI holding just that command, cached in node_modules/.cache and rebuilt whenever any bundled
// source file changes. Plain JavaScript so it loads before tsx; any problem falls back to tsx.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'cli', 'wfctl.ts');

/** The commands that run from a bundle; cli/main.ts loads each of them alone. */
const bundledCommands = new Set(['run', 'operator']);

const cacheDirOf = (command) => join(root, 'node_modules', '.cache', `wfctl-${command}`);
const manifestOf = (command) => join(cacheDirOf(command), 'manifest.json');

/** mtime and size of every input; a bundle is fresh when all still match. */
function fingerprint(files) {
  const out = {};
  for (const f of files) {
    const s = statSync(join(root, f));
    out[f] = `${s.mtimeMs}:${s.size}`;
  }
  return out;
}

function freshBundle(command) {
  try {
    const manifest = JSON.parse(readFileSync(manifestOf(command), 'utf8'));
    const now = fingerprint(Object.keys(manifest.inputs));
    for (const [f, fp] of Object.entries(manifest.inputs)) if (now[f] !== fp) return undefined;
    return join(cacheDirOf(command), manifest.bundle);
  } catch {
    return undefined;
  }
}

async function build(command) {
  const cacheDir = cacheDirOf(command);
  const manifestFile = manifestOf(command);
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: join(cacheDir, 'wfctl.mjs'),
    plugins: [
      {
        name: `wfctl-${command}`,
        setup(b) {
          // the bundle holds this command only; main.ts never imports the others when it runs
          b.onResolve({ filter: /\/commands\/[^/]+\.ts$/ }, (args) =>
            args.path.endsWith(`/${command}.ts`) ? undefined : { path: args.path, external: true },
          );
          // each module keeps its own location, so `new URL('..', import.meta.url)` still works
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll(
              'import.meta.url',
              JSON.stringify(pathToFileURL(args.path).href),
            ),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  const code = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).filter(
    (f) => !f.startsWith('node_modules/') && !f.includes('(disabled)'),
  );
  const name = `wfctl-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(cacheDir, { recursive: true });
  // write-then-rename: a process starting at the same moment never imports a half-written file
  const publish = (file, text) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  publish(join(cacheDir, name), code);
  publish(manifestFile, JSON.stringify({ bundle: name, inputs: fingerprint(inputs) }));
  // older bundles are stale now (a process still running one has it loaded already)
  for (const f of readdirSync(cacheDir))
    if (f.startsWith('wfctl-') && f.endsWith('.mjs') && f !== name) rmSync(join(cacheDir, f), { force: true });
  return join(cacheDir, name);
}

/** Runs `wfctl <command>` from its bundle; false when the caller should use the tsx path instead. */
export async function runFromBundle(command) {
  if (process.env.WFCTL_NO_BUNDLE || !bundledCommands.has(command)) return false;
  let bundle = freshBundle(command);
  if (!bundle) {
    try {
      bundle = await build(command);
    } catch {
      return false;
    }
  }
  try {
    await import(pathToFileURL(bundle).href);
  } catch (err) {
    // another process replaced the bundle between our check and the import: use tsx this time
    if (err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'ENOENT') return false;
    throw err;
  }
  return true;
}
