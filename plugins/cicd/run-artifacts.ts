// The artifacts of a pipeline run (upstream's artifact.Store, keyed by execution id and key), kept in
// a storage.artifact module at `<execution_id>/<key>`: the module named by the step's `store`, else
// the app's first storage.artifact. Used by step.shell_exec's artifacts_out and step.artifact_push/pull.
import { ValidationError, type PipelineContext, type StepBuildContext, type StepSpec } from '../../engine/index.ts';
import { ArtifactStoreCap, InvalidKeyError, NotFoundError, type ArtifactStore } from '../storage/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';

export const storeField = {
  key: 'store',
  type: 'string',
  description: "storage.artifact module (default: the app's first)",
} as const;

export interface RunArtifacts {
  put(executionId: string, key: string, data: Buffer): Promise<void>;
  get(executionId: string, key: string): Promise<Buffer>;
}

/** The run artifacts of a step; `label` (e.g. `artifact_push step "x"`) starts every error. */
export function runArtifactsOf(spec: StepSpec, ctx: StepBuildContext, label: string): RunArtifacts {
  const named = new ConfigReader(spec.config).string('store');
  const byName = named ? moduleRef(ctx, spec, named, 'artifact store', ArtifactStoreCap) : undefined;
  const store = (): ArtifactStore => {
    if (byName) return byName();
    const found = ctx.services.find(ArtifactStoreCap);
    if (!found)
      throw new Error(
        `${label}: artifact store not found: declare a storage.artifact module ` +
          `(name it in "store" when there are several)`,
      );
    return found;
  };
  const storeKey = (executionId: string, key: string) => `${executionId}/${key.replace(/^\/+/, '')}`;
  return {
    async put(executionId, key, data) {
      try {
        await store().upload(storeKey(executionId, key), data, {});
      } catch (err) {
        throw storeError(label, `failed to store artifact "${key}"`, err);
      }
    },
    async get(executionId, key) {
      try {
        return (await store().download(storeKey(executionId, key))).data;
      } catch (err) {
        throw storeError(label, `failed to get artifact "${key}" from execution "${executionId}"`, err);
      }
    },
  };
}

/** The run's id: upstream's metadata.execution_id (every run of this engine has one). */
export function executionIdOf(pc: PipelineContext, label: string): string {
  const id = pc.metadata.execution_id;
  if (typeof id !== 'string' || id === '') throw new Error(`${label}: execution_id not found in pipeline metadata`);
  return id;
}

function storeError(label: string, what: string, err: unknown): Error {
  const msg = `${label}: ${what}: ${(err as Error).message}`;
  if (err instanceof InvalidKeyError) return new ValidationError(msg, 400);
  if (err instanceof NotFoundError) return new ValidationError(msg, 404);
  return new Error(msg, { cause: err });
}
