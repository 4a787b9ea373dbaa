// The ajv set-up of each of our own JSON Schemas (the schema and its ajv options, formats and
// keywords), in one table used twice: schema/validators.ts compiles them in memory when running from
// sources, and the build (scripts/build.ts) compiles them to ajv standalone code for dist/.
// To validate a new schema: add it here, and call compiledValidator('<name>') where it is checked.
import { Ajv, type Options } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import pluginManifestSchema from './plugin-manifest.schema.json' with { type: 'json' };
import workflowConfigSchema from './workflow-config.schema.json' with { type: 'json' };
import workflowAppSchema from './workflowapp.schema.json' with { type: 'json' };
import workflowTenantSchema from './workflowtenant.schema.json' with { type: 'json' };

export interface ValidatorDefinition {
  schema: Record<string, unknown>;
  /** An ajv instance set up for the schema; `extra` adds the build's code-generation options. */
  newAjv(extra: Options): Ajv;
}

/** Kubernetes' structural-schema extensions: annotations for ajv, meaning for the API server. */
const kubernetesKeywords = [
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
];

const withFormats = addFormats as unknown as (ajv: Ajv) => Ajv;

/** A custom resource's schema (draft 2020-12) as the operator checks it: Kubernetes' keywords and formats. */
function customResourceAjv(extra: Options): Ajv {
  // strictTypes off: `pattern` sits beside an int-or-string anyOf, as Kubernetes requires;
  // strictRequired off: a oneOf may name properties declared one level up (WorkflowApp's config/configMapRef).
  const ajv = withFormats(
    new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, ...extra }),
  );
  for (const keyword of kubernetesKeywords) ajv.addKeyword(keyword);
  return ajv;
}

export const validatorDefinitions = {
  /** A workflow config (draft-07); lenient, as upstream configs carry keys our schema does not list. */
  'workflow-config': {
    schema: workflowConfigSchema,
    newAjv: (extra) => new Ajv({ allErrors: true, strict: false, ...extra }),
  },
  /** A registry plugin manifest (draft 2020-12). */
  'plugin-manifest': {
    schema: pluginManifestSchema,
    newAjv: (extra) => new Ajv2020({ allErrors: true, strict: true, ...extra }),
  },
  /** A WorkflowApp custom resource. */
  workflowapp: { schema: workflowAppSchema, newAjv: customResourceAjv },
  /** A WorkflowTenant custom resource. */
  workflowtenant: { schema: workflowTenantSchema, newAjv: customResourceAjv },
} satisfies Record<string, ValidatorDefinition>;

export type ValidatorName = keyof typeof validatorDefinitions;
