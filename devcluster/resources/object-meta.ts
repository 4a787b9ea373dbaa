// ObjectMeta: its schema (shared by every kind) and the server-side rules for it.
import { atomicList, bool, int64, keyedList, obj, opaque, setList, str, stringMap, time } from './schema-dsl.ts';
import type { Schema } from '../logic/schema.ts';

export const ownerReferenceSchema: Schema = obj(
  {
    apiVersion: str(),
    kind: str(),
    name: str(),
    uid: str(),
    controller: bool(),
    blockOwnerDeletion: bool(),
  },
  { required: ['apiVersion', 'kind', 'name', 'uid'] },
);

export const objectMetaSchema: Schema = obj({
  name: str(),
  generateName: str(),
  namespace: str(),
  selfLink: str(),
  uid: str(),
  resourceVersion: str(),
  generation: int64(),
  creationTimestamp: time(),
  deletionTimestamp: time(),
  deletionGracePeriodSeconds: int64(),
  labels: stringMap(),
  annotations: stringMap(),
  ownerReferences: keyedList(ownerReferenceSchema, ['uid']),
  finalizers: setList(str(), { 'x-kubernetes-patch-strategy': 'merge' }),
  managedFields: atomicList(opaque()),
});

/** The apiVersion/kind/metadata frame every top-level object schema starts from. */
export function objectFrame(properties: Record<string, Schema>, extra: Partial<Schema> = {}): Schema {
  return obj({ apiVersion: str(), kind: str(), metadata: objectMetaSchema, ...properties }, extra);
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** A Kubernetes object as devcluster handles it: plain JSON with typed metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** RFC 3339 with second precision, as creationTimestamp and deletionTimestamp are serialised. */
export function nowSeconds(now = Date.now()): string {
  return new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
