// Pure rules about object metadata that every kind shares: validation of ObjectMeta, which changes
// bump metadata.generation, what counts as a no-op write, generateName suffixes.
import { randomInt } from 'node:crypto';
import { fieldForbidden, fieldInvalid, fieldRequired, type FieldError } from '../api/errors.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import { validateAnnotations, validateLabels, validateName, nameProblems } from './names.ts';
import { setOwn } from '../../security/index.ts';
import { deepEqual, isObject } from './schema.ts';

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName + 5 random characters from the apiserver's alphabet (no vowels, no confusable digits). */
export function generateNameFrom(prefix: string): string {
  const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return base + suffix;
}

export function validateObjectMeta(obj: KubeObject, type: ResourceType, old: KubeObject | undefined): FieldError[] {
  const meta = obj.metadata;
  const errors: FieldError[] = [];
  if (!meta.name) errors.push(fieldRequired('metadata.name', 'name or generateName is required'));
  else errors.push(...validateName('metadata.name', meta.name, type.nameRule));
  if (meta.generateName) {
    // a prefix may end in a dash (the suffix follows), as kube-apiserver's maskTrailingDash allows
    const problems = nameProblems(meta.generateName.replace(/-$/, 'a'), type.nameRule);
    if (problems.length) errors.push(fieldInvalid('metadata.generateName', meta.generateName, problems.join(', ')));
  }
  errors.push(...validateLabels('metadata.labels', meta.labels));
  errors.push(...validateAnnotations('metadata.annotations', meta.annotations));
  const finalizers = meta.finalizers ?? [];
  if (!Array.isArray(finalizers))
    errors.push(fieldInvalid('metadata.finalizers', finalizers, 'must be a list of strings'));
  else {
    finalizers.forEach((f, i) => {
      if (
        typeof f !== 'string' ||
        (!f.includes('/') &&
          !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f) &&
          nameProblems(f, 'subdomain').length)
      ) {
        errors.push(
          fieldInvalid(
            `metadata.finalizers[${i}]`,
            f,
            'name is neither a standard finalizer name nor is it fully qualified',
          ),
        );
      }
    });
    if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
      errors.push(
        fieldInvalid('metadata.finalizers', finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'),
      );
    }
  }
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const at = `metadata.ownerReferences[${i}]`;
    if (!ref || typeof ref !== 'object') return;
    if (!ref.apiVersion)
      errors.push(fieldInvalid(`${at}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errors.push(fieldInvalid(`${at}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errors.push(fieldInvalid(`${at}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errors.push(fieldInvalid(`${at}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.uid && ref.uid === meta.uid) errors.push(fieldInvalid(`${at}.uid`, ref.uid, 'an object cannot own itself'));
  });
  if ((meta.ownerReferences ?? []).filter((r) => r?.controller === true).length > 1) {
    errors.push(
      fieldInvalid(
        'metadata.ownerReferences',
        'v1.OwnerReference',
        'Only one reference can have Controller set to true',
      ),
    );
  }
  if (old) {
    if (meta.deletionTimestamp && old.metadata.deletionTimestamp) {
      const added = finalizers.filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length)
        errors.push(
          fieldForbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers ` +
              `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          ),
        );
    }
  }
  return errors;
}

/** Top-level fields that are not "spec": changes to them do not bump metadata.generation. */
function specSide(obj: KubeObject, type: ResourceType): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && type.statusSubresource) continue;
    setOwn(out, k, v);
  }
  return out;
}

export function specChanged(next: KubeObject, prev: KubeObject, type: ResourceType): boolean {
  return !deepEqual(specSide(next, type), specSide(prev, type));
}

/** Equal apart from resourceVersion and managedFields timestamps: such a write is skipped. */
export function isNoOp(next: KubeObject, prev: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const meta: Record<string, unknown> = { ...o.metadata };
    delete meta.resourceVersion;
    meta.managedFields = (o.metadata.managedFields ?? []).map((e) => ({ ...e, time: undefined }));
    return { ...o, metadata: meta };
  };
  return deepEqual(strip(next), strip(prev));
}

/** Drops empty metadata maps a client may send (`labels: {}`), as the Go structs' omitempty would. */
export function normaliseMeta(obj: KubeObject): void {
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields'] as const) {
    const v = obj.metadata[k];
    if (v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0))
      delete obj.metadata[k];
  }
}
