#!/usr/bin/env node
// npm bin shim: run the TypeScript CLI through tsx so `npx wfctl` works without a build step.
// `wfctl run` (the engine container's entry point) first tries a cached bundle for a fast cold start.
const fast = process.argv[2] === 'run' && (await (await import('../cli/fast-start.mjs')).runFromBundle());
if (!fast) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/wfctl.ts');
}
