#!/usr/bin/env node
// wfctl runs from dist/, built by `npm ci` (prepare) and `npm run build`. In a source checkout whose
// dist/ is missing or older than the sources (dist/build-info.json records the mtime and size of every
// source file it was built from), it runs the TypeScript sources through tsx instead: an edit is never
// silently ignored, only slower to start until the next build.
// Built-ins through getBuiltinModule, not `import`: an ES module import of node:fs evaluates every
// export of it, file streams (~20 internal modules) included.
const { existsSync, readFileSync, statSync } = process.getBuiltinModule('node:fs');
const { fileURLToPath } = process.getBuiltinModule('node:url');

// A path string, not a URL per file: this runs before every command, over ~560 source files.
const root = fileURLToPath(new URL('..', import.meta.url));
const isSourceCheckout = existsSync(`${root}cli/wfctl.ts`);

function distIsCurrent() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(`${root}dist/build-info.json`, 'utf8')).inputs;
  } catch {
    return false;
  }
  for (const file in inputs) {
    try {
      const s = statSync(`${root}${file}`);
      if (`${s.mtimeMs}:${s.size}` !== inputs[file]) return false;
    } catch {
      return false;
    }
  }
  return true;
}

if (!isSourceCheckout || distIsCurrent()) {
  await import('../dist/wfctl.js');
} else {
  if (process.stderr.isTTY)
    process.stderr.write('wfctl: dist/ is older than the sources; running them (npm run build to refresh)\n');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/wfctl.ts');
}
