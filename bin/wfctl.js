#!/usr/bin/env node
// npm bin shim: run the TypeScript CLI through tsx so `npx wfctl` works without a build step.
import { register } from 'tsx/esm/api';
register();
await import('../cli/wfctl.ts');
