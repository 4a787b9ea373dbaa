// Fast start for `wfctl run`, the engine container's entry point: instead of transpiling every
// TypeScript module through tsx on each start (most of a cold start), run an esbuild bundle of the
// CLI, cached in node_modules/.cache and rebuilt whenever any bundled source file changes. Plain
// JavaScript so it loads before tsx; any problem falls back to the normal tsx path.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'wfctl-run');
const manifestFile = join(cacheDir, 'manifest.json');
const entry = join(root, 'cli', 'wfctl.ts');

/** mtime and size of every input; a bundle is fresh when all still match. */
function fingerprint(files) {
  const out = {};
  for (const f of files) {
    const s = statSync(join(root, f));
    out[f] = `${s.mtimeMs}:${s.size}`;
  }
  return out;
}

function freshBundle() {
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const now = fingerprint(Object.keys(manifest.inputs));
    for (const [f, fp] of Object.entries(manifest.inputs)) if (now[f] !== fp) return undefined;
    return join(cacheDir, manifest.bundle);
  } catch {
    return undefined;
  }
}

async function build() {
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
        name: 'wfctl-run',
        setup(b) {
          // only `run` uses the bundle; every other command loads through tsx as usual
          b.onResolve({ filter: /\/commands\/index\.ts$/ }, (args) => ({ path: args.path, external: true }));
          // each module keeps its own location, so `new URL('..', import.meta.url)` still works
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  const code = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/') && !f.includes('(disabled)'));
  const name = `wfctl-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, name), code);
  const tmp = `${manifestFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ bundle: name, inputs: fingerprint(inputs) }));
  renameSync(tmp, manifestFile);
  // older bundles are stale now (a process still running one has it loaded already)
  for (const f of readdirSync(cacheDir)) if (f.startsWith('wfctl-') && f.endsWith('.mjs') && f !== name) rmSync(join(cacheDir, f), { force: true });
  return join(cacheDir, name);
}

/** Runs `wfctl run` from the bundle; false when the caller should use the tsx path instead. */
export async function runFromBundle() {
  if (process.env.WFCTL_NO_BUNDLE) return false;
  let bundle = freshBundle();
  if (!bundle) {
    try {
      bundle = await build();
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
