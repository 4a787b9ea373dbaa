import { readFileSync } from 'node:fs';

/** The package version: wfctl --version and the engine image tag (`workflow-engine:<version>`). */
export const engineVersion: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The container image devcluster's node agent runs as an engine process, and the operator's default. */
export const engineImage = `workflow-engine:${engineVersion}`;
