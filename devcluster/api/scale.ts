// The scale subresource (autoscaling/v1 Scale) as a view of the object's replica fields; writes turn
// into a merge patch of the object, so `kubectl scale` goes through the normal write path.
import { fromLabelSelectorObject, formatLabelSelector, type LabelSelectorObject } from '../logic/selectors.ts';
import { compileJsonPath, evaluateJsonPath } from '../logic/jsonpath.ts';
import { applyJsonPatch, PatchError } from '../logic/patch/json-patch.ts';
import { applyMergePatch } from '../logic/patch/merge-patch.ts';
import { setOwn } from '../../security/index.ts';
import { isObject } from '../logic/schema.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { ApiError, invalid } from './errors.ts';
import type { PatchType } from './object-api.ts';

function at(obj: unknown, path: string): unknown {
  return evaluateJsonPath(compileJsonPath(path), obj)[0];
}

export function readScale(type: ResourceType, obj: KubeObject): object {
  const scale = type.scale!;
  let selector: unknown = scale.labelSelectorPath ? at(obj, scale.labelSelectorPath) : undefined;
  if (selector === undefined && type.builtin) {
    selector = formatLabelSelector(
      fromLabelSelectorObject((obj.spec as { selector?: LabelSelectorObject } | undefined)?.selector),
    );
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: Number(at(obj, scale.specReplicasPath) ?? 0) },
    status: {
      replicas: Number(at(obj, scale.statusReplicasPath) ?? 0),
      ...(typeof selector === 'string' && selector ? { selector } : {}),
    },
  };
}

/** The merge patch of the object that a write of its Scale amounts to. */
export function scalePatch(
  type: ResourceType,
  current: KubeObject,
  how: PatchType | 'replace',
  body: unknown,
): Record<string, unknown> {
  const scale = readScale(type, current);
  let next: unknown;
  try {
    next = how === 'replace' ? body : how === 'json' ? applyJsonPatch(scale, body) : applyMergePatch(scale, body);
  } catch (e) {
    if (e instanceof PatchError)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${e.message}`,
      );
    throw e;
  }
  const replicas = isObject(next) && isObject(next.spec) ? next.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', current.metadata.name ?? '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        detail: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      },
    ]);
  }
  const patch: Record<string, unknown> = {};
  const keys = type.scale!.specReplicasPath.replace(/^\./, '').split('.');
  let node = patch;
  keys.forEach((k, i) => {
    const child = i === keys.length - 1 ? replicas : {};
    setOwn(node, k, child);
    node = child as Record<string, unknown>;
  });
  return patch;
}
