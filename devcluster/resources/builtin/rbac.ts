// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding, with
// kube-apiserver's validation (rule shapes, subjects, an immutable roleRef). auth/ enforces them.
import { fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../../api/errors.ts';
import { deepEqual, isObject, type JsonObject } from '../../logic/schema.ts';
import { objectFrame, type KubeObject } from '../object-meta.ts';
import type { PrinterColumn, ResourceType } from '../resource-type.ts';
import { atomicList, obj, str } from '../schema-dsl.ts';
import { defineBuiltin, get } from './define.ts';
import { labelSelectorSchema } from './pod-spec.ts';

const GROUP = 'rbac.authorization.k8s.io';

const policyRule = obj(
  {
    verbs: atomicList(str()),
    apiGroups: atomicList(str()),
    resources: atomicList(str()),
    resourceNames: atomicList(str()),
    nonResourceURLs: atomicList(str()),
  },
  { required: ['verbs'] },
);
const subject = obj({ kind: str(), apiGroup: str(), name: str(), namespace: str() }, { required: ['kind', 'name'] });
const roleRef = obj(
  { apiGroup: str(), kind: str(), name: str() },
  { required: ['apiGroup', 'kind', 'name'], 'x-kubernetes-map-type': 'atomic' },
);

function validateRules(o: KubeObject, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  ((Array.isArray(o.rules) ? o.rules : []) as JsonObject[]).forEach((r, i) => {
    if (!isObject(r)) return;
    const at = `rules[${i}]`;
    const list = (k: string) => (Array.isArray(r[k]) ? (r[k] as string[]) : []);
    if (list('verbs').length === 0) errors.push(fieldRequired(`${at}.verbs`, 'verbs must contain at least one value'));
    const urls = list('nonResourceURLs');
    if (urls.length) {
      if (namespaced)
        errors.push(
          fieldInvalid(`${at}.nonResourceURLs`, urls.join(','), 'namespaced rules cannot apply to non-resource URLs'),
        );
      if (list('apiGroups').length || list('resources').length)
        errors.push(
          fieldInvalid(
            `${at}.nonResourceURLs`,
            urls.join(','),
            'rules cannot apply to both regular resources and non-resource URLs',
          ),
        );
      return;
    }
    if (list('apiGroups').length === 0)
      errors.push(fieldRequired(`${at}.apiGroups`, 'resource rules must supply at least one api group'));
    if (list('resources').length === 0)
      errors.push(fieldRequired(`${at}.resources`, 'resource rules must supply at least one resource'));
  });
  return errors;
}

function validateBinding(o: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const ref = (isObject(o.roleRef) ? o.roleRef : {}) as JsonObject;
  if (ref.apiGroup !== GROUP) errors.push(fieldNotSupported('roleRef.apiGroup', ref.apiGroup ?? '', [GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(String(ref.kind))) errors.push(fieldNotSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errors.push(fieldRequired('roleRef.name'));
  if (old && !deepEqual(o.roleRef, old.roleRef))
    errors.push(fieldInvalid('roleRef', 'rbac.RoleRef', 'cannot change roleRef'));
  ((Array.isArray(o.subjects) ? o.subjects : []) as JsonObject[]).forEach((s, i) => {
    if (!isObject(s)) return;
    const at = `subjects[${i}]`;
    if (!s.name) errors.push(fieldRequired(`${at}.name`));
    if (s.kind === 'ServiceAccount') {
      if (s.apiGroup) errors.push(fieldNotSupported(`${at}.apiGroup`, s.apiGroup, ['']));
      if (!s.namespace && !namespaced) errors.push(fieldRequired(`${at}.namespace`));
    } else if (s.kind === 'User' || s.kind === 'Group') {
      if (s.apiGroup !== GROUP) errors.push(fieldNotSupported(`${at}.apiGroup`, s.apiGroup ?? '', [GROUP]));
    } else errors.push(fieldNotSupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  });
  return errors;
}

const createdAt: PrinterColumn = {
  name: 'Created At',
  type: 'date',
  priority: 0,
  description: '',
  cell: (o) => o.metadata.creationTimestamp,
};
const nameColumn: PrinterColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  description: '',
  cell: (o) => o.metadata.name,
};
const subjectsOf = (kind: string) => (o: KubeObject) =>
  ((o.subjects as JsonObject[] | undefined) ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
    .join(', ');
const bindingColumns: PrinterColumn[] = [
  {
    name: 'Role',
    type: 'string',
    priority: 0,
    description: '',
    cell: (o) => `${get(o, 'roleRef', 'kind')}/${get(o, 'roleRef', 'name')}`,
  },
];
const bindingWide: PrinterColumn[] = [
  { name: 'Users', type: 'string', priority: 1, description: '', cell: subjectsOf('User') },
  { name: 'Groups', type: 'string', priority: 1, description: '', cell: subjectsOf('Group') },
  { name: 'ServiceAccounts', type: 'string', priority: 1, description: '', cell: subjectsOf('ServiceAccount') },
];

function role(kind: 'Role' | 'ClusterRole'): ResourceType {
  const namespaced = kind === 'Role';
  return defineBuiltin({
    group: GROUP,
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced,
    nameRule: 'path-segment',
    schema: objectFrame({
      rules: atomicList(policyRule),
      ...(namespaced ? {} : { aggregationRule: obj({ clusterRoleSelectors: atomicList(labelSelectorSchema) }) }),
    }),
    replaceColumns: true,
    columns: [nameColumn, createdAt],
    strategy: { validate: (o) => validateRules(o, namespaced) },
  });
}

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding'): ResourceType {
  const namespaced = kind === 'RoleBinding';
  return defineBuiltin({
    group: GROUP,
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    namespaced,
    nameRule: 'path-segment',
    schema: objectFrame({ subjects: atomicList(subject), roleRef }, { required: ['roleRef'] }),
    columns: bindingColumns,
    trailingColumns: bindingWide,
    strategy: { validate: (o, old) => validateBinding(o, old, namespaced) },
  });
}

export const rbacTypes: ResourceType[] = [
  role('Role'),
  role('ClusterRole'),
  binding('RoleBinding'),
  binding('ClusterRoleBinding'),
];
