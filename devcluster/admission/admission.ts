// The admission seam of the write path: mutating then validating, as kube-apiserver orders them.
// ObjectApi depends only on this interface; webhooks.ts implements it over the webhook configurations.
import type { ResourceType } from '../resources/resource-type.ts';
import type { KubeObject } from '../resources/object-meta.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  subresource: string;
  namespace: string;
  name: string;
  object: KubeObject | null;
  oldObject: KubeObject | null;
  options: Record<string, unknown>;
  dryRun: boolean;
  user: UserInfo;
}

export interface Admission {
  /** Returns the (possibly patched) object; throws ApiError to refuse. */
  mutate(attrs: AdmissionAttributes, warnings: string[]): Promise<KubeObject | null>;
  /** Throws ApiError to refuse. */
  validate(attrs: AdmissionAttributes, warnings: string[]): Promise<void>;
}

export const allowAll: Admission = {
  mutate: async (attrs) => attrs.object,
  validate: async () => {},
};
