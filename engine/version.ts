import packageJson from '../package.json' with { type: 'json' };

/** The package version: wfctl --version and the engine image tag (`workflow-engine:<version>`). */
export const engineVersion: string = packageJson.version;

/** The container image devcluster's node agent runs as an engine process, and the operator's default. */
export const engineImage = `workflow-engine:${engineVersion}`;
