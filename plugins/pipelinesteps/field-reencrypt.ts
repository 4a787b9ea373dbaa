// step.field_reencrypt (upstream module/pipeline_step_field_reencrypt.go): decrypts the protected
// fields of the current data with whatever key version wrote them and encrypts them again with the
// tenant's current key, through the security.field-protection module named by `module`*. `tenant_id`
// is a template (with tenant isolation, the tenant whose keys apply). The current data takes the
// re-encrypted values, as upstream -> {reencrypted: true}; the trigger data and earlier step outputs
// keep theirs (the work is done on a copy).
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { FieldProtectionCap } from '../auth/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';

export const fieldReencryptSchema: TypeSchema = {
  description: "Re-encrypts protected fields with the field-protection module's current key",
  configFields: [
    { key: 'module', type: 'string', required: true, description: 'security.field-protection module' },
    { key: 'tenant_id', type: 'string', description: 'tenant id (template)' },
  ],
  outputs: [{ key: 'reencrypted', type: 'boolean' }],
};

export const createFieldReencryptStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const protection = moduleRef(
    ctx,
    spec,
    cfg.requiredString('module', 'module: field-protection'),
    'field protection module',
    FieldProtectionCap,
  );
  const tenantTemplate = cfg.string('tenant_id');
  const tenant = tenantTemplate ? ctx.templates.compile(tenantTemplate, ['tenant_id']) : undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const manager = protection();
      const resolved = tenant?.resolve(pc);
      const tenantId = typeof resolved === 'string' && resolved !== '' ? resolved : (tenantTemplate ?? '');
      const data = structuredClone(pc.current);
      try {
        manager.decryptMap(tenantId, data);
        manager.encryptMap(tenantId, data);
      } catch (err) {
        throw new Error(`field_reencrypt step "${spec.name}": ${(err as Error).message}`);
      }
      Object.assign(pc.current, data);
      return { output: { reencrypted: true } };
    },
  };
};
