// plugins/secrets: secrets providers (upstream plugin "secrets"): secrets.vault and step.secret_rotate.
// step.secret_fetch and step.secret_set live in plugins/pipelinesteps, as upstream.
import type { EnginePlugin } from '../../engine/index.ts';
import { manifestInfo } from '../support/index.ts';
import manifest from './manifest.json' with { type: 'json' };
import { createSecretRotateStep, secretRotateSchema } from './secret-rotate.ts';
import { createSecretsVault, secretsVaultSchema } from './secrets-vault.ts';

export const secretsPlugin: EnginePlugin = {
  manifest: manifestInfo(manifest),
  modules: { 'secrets.vault': createSecretsVault },
  moduleSchemas: { 'secrets.vault': secretsVaultSchema },
  steps: { 'step.secret_rotate': createSecretRotateStep },
  stepSchemas: { 'step.secret_rotate': secretRotateSchema },
};

export { SecretsVaultModule, parseVaultKey } from './secrets-vault.ts';
