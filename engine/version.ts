import packageJson from '../package.json' with { type: 'json' };

/** The package version: wfctl --version and the engine image tag (`workflow-engine:<version>`). */
export const engineVersion: string = packageJson.version;

/**
 * The engine's container image, as the release workflow (.github/workflows/image.yml) publishes it
 * on a tag v<version>: the operator's default for apps, and what operator/deploy runs. devcluster's
 * node agent runs any image named workflow-engine (whatever its registry and tag) as the engine.
 */
export const engineImage = `ghcr.io/gocodealone/workflow-engine:${engineVersion}`;
