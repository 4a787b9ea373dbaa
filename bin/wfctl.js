#!/usr/bin/env node
// wfctl runs from dist/, built by `npm ci` (prepare) and `npm run build`. In a source checkout whose
// dist/ is missing or older than the sources (dist/build-info.json records the mtime and size of every
// source file it was built from), it runs the TypeScript sources through tsx instead: an edit is never
// silently ignored, only slower to start until the next build.
import { existsSync, readFileSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const isSourceCheckout = existsSync(new URL('cli/wfctl.ts', root));

function distIsCurrent() {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(new URL('dist/build-info.json', root), 'utf8')).inputs;
  } catch {
    return false;
  }
  for (const [file, fingerprint] of Object.entries(inputs)) {
    try {
      const s = statSync(new URL(file, root));
      if (`${s.mtimeMs}:${s.size}` !== fingerprint) return false;
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
