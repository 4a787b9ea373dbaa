// CustomResourceDefinitions: validation of the CRD itself (names, versions, structural schemas,
// printer columns) and its translation into one ResourceType per served version.
import { fieldInvalid, fieldNotSupported, fieldRequired, type FieldError } from '../api/errors.ts';
import { compileJsonPath, evaluateJsonPath, type JsonPathError } from '../logic/jsonpath.ts';
import { nameProblems } from '../logic/names.ts';
import { isObject, isStruct, type JsonObject, type Schema } from '../logic/schema.ts';
import { linearRegExpProblem } from '../../security/index.ts';
import { objectMetaSchema, nowSeconds, type KubeObject } from './object-meta.ts';
import {
  age,
  AGE_COLUMN,
  ALL_VERBS,
  NAME_COLUMN,
  storageKeyOf,
  type PrinterColumn,
  type ResourceType,
} from './resource-type.ts';

interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: Array<{
    name: string;
    type: string;
    format?: string;
    description?: string;
    priority?: number;
    jsonPath: string;
  }>;
  selectableFields?: Array<{ jsonPath: string }>;
}

interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

/** Held by every CRD until its custom resources are gone. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];

export function validateCrd(crd: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  if (!isStruct(spec)) return [fieldRequired('spec')];
  const group = spec.group;
  if (typeof group !== 'string' || !group) errors.push(fieldRequired('spec.group'));
  else if (!group.includes('.'))
    errors.push(fieldInvalid('spec.group', group, 'should be a domain with at least one dot'));
  else if (nameProblems(group, 'subdomain').length)
    errors.push(fieldInvalid('spec.group', group, nameProblems(group, 'subdomain').join(', ')));
  const names = spec.names;
  if (!isStruct(names)) errors.push(fieldRequired('spec.names'));
  else {
    if (!names.plural) errors.push(fieldRequired('spec.names.plural'));
    else if (nameProblems(names.plural, 'label').length)
      errors.push(fieldInvalid('spec.names.plural', names.plural, nameProblems(names.plural, 'label').join(', ')));
    if (names.singular && nameProblems(names.singular, 'label').length)
      errors.push(
        fieldInvalid('spec.names.singular', names.singular, nameProblems(names.singular, 'label').join(', ')),
      );
    if (!names.kind) errors.push(fieldRequired('spec.names.kind'));
    else if (!/^[A-Za-z][A-Za-z0-9]*$/.test(names.kind))
      errors.push(
        fieldInvalid(
          'spec.names.kind',
          names.kind,
          'may have mixed case, but should otherwise match: ^[a-z]([-a-z0-9]*[a-z0-9])?$',
        ),
      );
    for (const [i, s] of (names.shortNames ?? []).entries()) {
      if (nameProblems(s, 'label').length)
        errors.push(fieldInvalid(`spec.names.shortNames[${i}]`, s, nameProblems(s, 'label').join(', ')));
    }
    if (group && names.plural && crd.metadata.name !== `${names.plural}.${group}`) {
      errors.push(fieldInvalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'));
    }
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errors.push(fieldNotSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  if (versions.length === 0)
    errors.push(fieldInvalid('spec.versions', null, 'must have exactly one version marked as storage version'));
  else if (versions.filter((v) => v?.storage === true).length !== 1) {
    errors.push(
      fieldInvalid(
        'spec.versions',
        `[]apiextensions.CustomResourceDefinitionVersion{...}`,
        'must have exactly one version marked as storage version',
      ),
    );
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const at = `spec.versions[${i}]`;
    if (!isStruct(v)) return;
    if (!v.name) errors.push(fieldRequired(`${at}.name`));
    else {
      if (nameProblems(v.name, 'label').length)
        errors.push(fieldInvalid(`${at}.name`, v.name, nameProblems(v.name, 'label').join(', ')));
      if (seen.has(v.name))
        errors.push({
          type: 'FieldValueDuplicate',
          field: `${at}.name`,
          detail: `Duplicate value: ${JSON.stringify(v.name)}`,
        });
      seen.add(v.name);
    }
    const root = v.schema?.openAPIV3Schema;
    if (!isStruct(root)) errors.push(fieldRequired(`${at}.schema.openAPIV3Schema`, 'schemas are required'));
    else {
      if (root.type !== 'object')
        errors.push(fieldInvalid(`${at}.schema.openAPIV3Schema.type`, root.type ?? '', 'must be object at the root'));
      errors.push(...structuralProblems(root, `${at}.schema.openAPIV3Schema`));
      errors.push(...patternProblems(root, `${at}.schema.openAPIV3Schema`));
    }
    (v.additionalPrinterColumns ?? []).forEach((c, j) => {
      const cat = `${at}.additionalPrinterColumns[${j}]`;
      if (!c.name) errors.push(fieldRequired(`${cat}.name`));
      if (!COLUMN_TYPES.includes(c.type)) errors.push(fieldNotSupported(`${cat}.type`, c.type, COLUMN_TYPES));
      if (!c.jsonPath) errors.push(fieldRequired(`${cat}.jsonPath`));
      else {
        try {
          compileJsonPath(c.jsonPath);
        } catch (e) {
          errors.push(fieldInvalid(`${cat}.jsonPath`, c.jsonPath, (e as JsonPathError).message));
        }
      }
    });
    const scale = v.subresources?.scale;
    if (scale !== undefined) {
      if (!scale.specReplicasPath) errors.push(fieldRequired(`${at}.subresources.scale.specReplicasPath`));
      if (!scale.statusReplicasPath) errors.push(fieldRequired(`${at}.subresources.scale.statusReplicasPath`));
    }
  });
  return errors;
}

/** Structural schema rules: a type at every level that declares properties or items. */
function structuralProblems(schema: Schema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const loose = schema['x-kubernetes-int-or-string'] || schema['x-kubernetes-preserve-unknown-fields'];
  if (!schema.type && !loose && (schema.properties || schema.items || schema.additionalProperties)) {
    errors.push(fieldRequired(`${path}.type`, 'must not be empty for specified object fields'));
  }
  if (schema.type === 'array' && !schema.items) errors.push(fieldRequired(`${path}.items`, 'must be specified'));
  if (schema.properties && isObject(schema.additionalProperties)) {
    errors.push(
      fieldInvalid(`${path}.additionalProperties`, 'map', 'additionalProperties and properties are mutual exclusive'),
    );
  }
  if (schema['x-kubernetes-list-type'] === 'map' && !(schema['x-kubernetes-list-map-keys'] ?? []).length) {
    errors.push(
      fieldRequired(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'),
    );
  }
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    errors.push(...structuralProblems(child, `${path}.properties[${key}]`));
  if (schema.items && isObject(schema.items)) errors.push(...structuralProblems(schema.items, `${path}.items`));
  if (isObject(schema.additionalProperties))
    errors.push(...structuralProblems(schema.additionalProperties, `${path}.additionalProperties`));
  return errors;
}

/**
 * Every `pattern` must compile as RE2, the linear-time engine that validates values (as Go's regexp
 * does in kube-apiserver): lookaround and backreferences are refused here, not found out later.
 */
function patternProblems(schema: Schema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (schema.pattern !== undefined) {
    const problem =
      typeof schema.pattern === 'string' ? linearRegExpProblem(schema.pattern) : 'the pattern must be a string';
    if (problem)
      errors.push(
        fieldInvalid(`${path}.pattern`, schema.pattern, `must be a valid regular expression, but isn't: ${problem}`),
      );
  }
  const children: Array<[string, unknown]> = [
    ...Object.entries(isObject(schema.properties) ? schema.properties : {}).map(([k, v]): [string, unknown] => [
      `properties[${k}]`,
      v,
    ]),
    ['items', schema.items],
    ['additionalProperties', schema.additionalProperties],
    ['not', schema.not],
    ...(['allOf', 'anyOf', 'oneOf'] as const).flatMap((k) =>
      (Array.isArray(schema[k]) ? schema[k] : []).map((v, i): [string, unknown] => [`${k}[${i}]`, v]),
    ),
  ];
  for (const [at, child] of children)
    if (isObject(child)) errors.push(...patternProblems(child as Schema, `${path}.${at}`));
  return errors;
}

/** Status the CRD controllers would write: names accepted, established, stored versions. */
export function crdStatus(crd: KubeObject, previous: JsonObject | undefined, now: number): JsonObject {
  const spec = crd.spec as unknown as CrdSpec;
  const names = spec.names ?? ({} as CrdNames);
  const transition = (type: string) => {
    const prev = ((previous?.conditions ?? []) as JsonObject[]).find((c) => c.type === type && c.status === 'True');
    return (prev?.lastTransitionTime as string | undefined) ?? nowSeconds(now);
  };
  const storage = (spec.versions ?? []).find((v) => v.storage)?.name;
  const stored = new Set<string>([...((previous?.storedVersions ?? []) as string[]), ...(storage ? [storage] : [])]);
  return {
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: transition('NamesAccepted'),
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: transition('Established'),
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    acceptedNames: {
      plural: names.plural,
      singular: names.singular ?? names.kind?.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
      ...(names.categories?.length ? { categories: names.categories } : {}),
    },
    storedVersions: [...stored],
  };
}

/** One ResourceType per served version of a (valid) CRD. */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as unknown as CrdSpec;
  const storageVersion = spec.versions.find((v) => v.storage)!.name;
  const group = spec.group;
  const names = spec.names;
  return spec.versions
    .filter((v) => v.served)
    .map((v): ResourceType => {
      const apiVersion = `${group}/${v.name}`;
      return {
        group,
        version: v.name,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: spec.scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: ALL_VERBS,
        storageKey: storageKeyOf(group, names.plural),
        builtin: false,
        schema: customResourceSchema(v.schema?.openAPIV3Schema ?? { type: 'object' }),
        nameRule: 'subdomain',
        tracksGeneration: true,
        statusSubresource: v.subresources?.status !== undefined && v.subresources?.status !== null,
        scale: v.subresources?.scale,
        columns: printerColumns(v),
        fieldSelectors: Object.fromEntries(
          (v.selectableFields ?? []).map((f) => {
            const steps = compileJsonPath(f.jsonPath);
            return [f.jsonPath.replace(/^\./, ''), (o: KubeObject) => String(evaluateJsonPath(steps, o)[0] ?? '')];
          }),
        ),
        strategy: {},
        deleteReturnsObject: true,
        toStorage: (o) => ({ ...o, apiVersion: `${group}/${storageVersion}` }),
        fromStorage: (o) => ({ ...o, apiVersion }),
        crdName: crd.metadata.name,
      };
    });
}

/** The CRD's schema with the implicit apiVersion/kind/metadata made explicit. */
function customResourceSchema(root: Schema): Schema {
  return {
    ...root,
    type: 'object',
    properties: {
      ...root.properties,
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: objectMetaSchema,
    },
  };
}

function printerColumns(v: CrdVersion): PrinterColumn[] {
  const extra = v.additionalPrinterColumns;
  if (!extra || extra.length === 0) return [NAME_COLUMN, AGE_COLUMN];
  return [
    NAME_COLUMN,
    ...extra.map((c): PrinterColumn => {
      const steps = compileJsonPath(c.jsonPath);
      return {
        name: c.name,
        type: c.type as PrinterColumn['type'],
        format: c.format,
        description: c.description ?? '',
        priority: c.priority ?? 0,
        cell: (o, now) => {
          const value = evaluateJsonPath(steps, o)[0];
          if (value === undefined || value === null) return null;
          // kubectl prints date cells as given: the server humanises them (KUBERNETES.md 0.7)
          if (c.type === 'date' && typeof value === 'string') return age(value, now);
          return typeof value === 'object' ? JSON.stringify(value) : value;
        },
      };
    }),
  ];
}
