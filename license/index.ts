// license/: public surface. Other folders import it only through this file.
//
// Keys and tokens (wflic.v1, Ed25519, upstream's offline format):
//   const { privateKey, publicKey } = generateKeyPair();
//   const { token } = issueLicense({ tenant: 'acme', tier: 'enterprise', features: ['*'] }, privateKey);
//   verifyToken(token, publicKey)            // claims, or throws LicenseTokenError (problem + message)
//
// The validator (one implementation: admission webhook, operator, engine's license.validator):
//   const v = new LicenseValidator({ key: token, publicKey, serverUrl });   // serverUrl optional
//   await v.start();                         // first online check + node-cron background refresh
//   v.status()                               // {valid, reason, message, claims, source}: no I/O, ever
//   v.premiumPluginProblem('workflow-plugin-x')   // undefined when licensed, else why not
//   v.stop();
//
// The license server (`wfctl license serve`): startLicenseServer({ dataDir, publicKey, adminToken }).
// For `wfctl up`: issueDevLicense({ dir, tenant }) makes a key pair once and a 30-day dev license.
export {
  tiers,
  premiumTiers,
  allFeatures,
  licenseInfo,
  premiumPluginProblem,
  isoSeconds,
  type Tier,
  type LicenseClaims,
  type LicenseInfo,
} from './claims.ts';
export {
  generateKeyPair,
  keyId,
  parsePrivateKey,
  parsePublicKey,
  privateKeyPem,
  publicKeyPem,
  readPrivateKeyFile,
  readPublicKeyFile,
  writeKeyPair,
  privateKeyFileName,
  publicKeyFileName,
  type KeyPair,
} from './keys.ts';
export {
  parseToken,
  signToken,
  verifyToken,
  looksLikeToken,
  LicenseTokenError,
  tokenPrefix,
  type TokenProblem,
} from './token.ts';
export { buildClaims, issueLicense, issueDevLicense, parseWhen, type IssueOptions, type DevLicense } from './issue.ts';
export {
  LicenseValidator,
  formatDuration,
  refreshSchedule,
  type LicenseReason,
  type LicenseStatus,
  type ValidationResult,
  type ValidatorOptions,
} from './validator.ts';
export { startLicenseServer, type LicenseServer, type LicenseServerOptions } from './server/server.ts';
export type { TenantRecord, LicenseRecord, RevocationRecord, UsageReport } from './server/store.ts';
