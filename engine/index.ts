// engine/: public surface. Other folders import the engine only through this file.
export * from './contract.ts';
export { engineVersion, engineImage } from './version.ts';
export { formatIssue, formatJsonPath, ConfigError } from './config-issue.ts';
export type { ConfigIssue, ValidationResult } from './config-issue.ts';
export { loadConfigFile, loadConfigText, readConfigFile, readConfigText, displayPath } from './config-loader.ts';
export type { LoadedConfig } from './config-loader.ts';
export type { SourceLocation } from './source-map.ts';
export { validateConfigFile, validateConfigText, validateLoaded } from './validate/index.ts';
export type { ValidateOptions } from './validate/index.ts';
export { Engine, overrideHttpAddress, normalizeAddress } from './engine.ts';
export { EngineManager } from './engine-manager.ts';
export { CliCommandRegistry, CLI_COMMAND_REGISTRY_SERVICE } from './cli-commands.ts';
export type { CliCommand, CliCommandContext } from './cli-commands.ts';
export type { AppSource, DeployOptions, ManagedAppStatus, EngineManagerOptions } from './engine-manager.ts';
export type { EngineOptions, EngineState, ModuleInfo } from './engine.ts';
export { PluginCatalog } from './plugin-catalog.ts';
export {
  pluginApiVersion,
  engineApi,
  definePlugin,
  engineApiProblem,
  pluginManifestInfo,
  pluginFromEntry,
  pluginFromDeclaration,
  PluginCompatibilityError,
} from './plugin-api.ts';
export type { EngineApi, PluginContext, PluginDefinition, PluginEntryModule, PluginFunction } from './plugin-api.ts';
export {
  lockFileName,
  receiptFileName,
  emptyLock,
  parseLock,
  readLockFile,
  formatLock,
  writeLockFile,
  withLocked,
  withoutLocked,
  findLocked,
  hashTree,
  writeReceipt,
  readReceipt,
  installedMismatch,
  PluginLockError,
} from './plugin-lock.ts';
export type { LockedPlugin, PluginLock, InstallReceipt } from './plugin-lock.ts';
export {
  loadPluginDir,
  loadRequiredPlugins,
  readPluginManifest,
  requiredPlugins,
  isLocalSource,
  entryPath,
  noLicenseGate,
  PluginLoadError,
} from './plugin-loader.ts';
export type { LicenseGate, PluginManifestFile, RequiredPlugin, RequiredPluginOptions } from './plugin-loader.ts';
export { buildPluginProject, loadBuiltPlugin, loadPluginProject, projectBuildDir } from './plugin-build.ts';
export { runTestFiles, runTestFile } from './wftest/runner.ts';
export type { TestResult, RunOptions as TestRunOptions } from './wftest/runner.ts';
export { findTestFiles, parseTestFile, readTestFile, TestFileError } from './wftest/test-file.ts';
export type { TestFile } from './wftest/test-file.ts';
export { formatTap, type TestReport } from './wftest/report.ts';
export { pluginDocsMarkdown } from './plugin-docs.ts';
export type { BuiltPluginProject } from './plugin-build.ts';
export { buildConfigSchema } from './config-schema.ts';
export { parseDuration, durationOr } from './duration.ts';
export { expandConfig, expandString } from './env-expansion.ts';
export { createLogger, silentLogger } from './logger.ts';
export { NoHandlerError, UnknownPipelineError } from './workflow-runner.ts';
export { StepFailedError, MAX_STEP_EXECUTIONS } from './pipeline.ts';
export {
  TemplateEngine,
  lookupPath,
  guardTruthy,
  TEMPLATE_FUNCTION_NAMES,
  formatGoTime,
  formatValue,
  isPlainMap,
  isTrue,
  hasTemplateSyntax,
} from './template/index.ts';
export { checkConstraint } from './version-constraint.ts';
export { inspectConfig, configName, type Inspection } from './inspect.ts';
