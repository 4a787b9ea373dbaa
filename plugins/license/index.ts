// plugins/license: license.validator (UPSTREAM.md section 7).
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createLicenseValidator, licenseValidatorSchema } from './license-validator.ts';

export const licensePlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'license.validator': createLicenseValidator },
  moduleSchemas: { 'license.validator': licenseValidatorSchema },
};

export { LicenseValidator, type LicenseInfo, type LicenseResult } from './license-validator.ts';
