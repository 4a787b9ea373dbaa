#!/usr/bin/env node
// npm bin shim: run the TypeScript CLI through tsx so `npx wfctl` works without a build step.
// Long-running commands (`run`, `operator`) first try a cached bundle: fast cold start, less memory.
const fast = await (await import('../cli/fast-start.mjs')).runFromBundle(process.argv[2]);
if (!fast) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/wfctl.ts');
}
