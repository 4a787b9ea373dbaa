// The CRDs the repository ships (crds/*.yaml), installed by server-side apply. Each applied CRD
// carries a hash of what was applied, so a start whose CRDs are already current reads one list and
// writes nothing; a changed or missing CRD is applied, and new kinds are installed as they are added.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from './seed.ts';

export const crdHashAnnotation = 'workflow.gocodealone.com/applied-hash';
const fieldManager = 'wfctl-up';

/** Every CRD in crds/*.yaml, in file order. */
export function shippedCrds(root = packageRoot): V1CustomResourceDefinition[] {
  const dir = join(root, 'crds');
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as unknown))
    .filter((o): o is V1CustomResourceDefinition => (o as { kind?: unknown })?.kind === 'CustomResourceDefinition');
}

export function crdHash(crd: V1CustomResourceDefinition): string {
  return createHash('sha256').update(JSON.stringify(crd)).digest('hex').slice(0, 16);
}

/** Applies the CRDs that are missing or differ from what was last applied; returns what it did per CRD. */
export async function installCrds(
  kc: KubeConfig,
  crds: V1CustomResourceDefinition[],
): Promise<Array<{ name: string; action: 'applied' | 'current' }>> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const live = new Map(
    (await api.listCustomResourceDefinition()).items.map((c) => [
      c.metadata?.name,
      c.metadata?.annotations?.[crdHashAnnotation],
    ]),
  );
  return Promise.all(
    crds.map(async (crd) => {
      const name = crd.metadata!.name!;
      const hash = crdHash(crd);
      if (live.get(name) === hash) return { name, action: 'current' as const };
      const body = {
        ...crd,
        metadata: { ...crd.metadata, annotations: { ...crd.metadata?.annotations, [crdHashAnnotation]: hash } },
      };
      await api.patchCustomResourceDefinition(
        { name, body, fieldManager, force: true },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
      return { name, action: 'applied' as const };
    }),
  );
}
