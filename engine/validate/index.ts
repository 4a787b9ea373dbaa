// engine/validate: a workflow config against the schema and the upstream rules, by config section.
export { validateConfigFile, validateConfigText, validateLoaded, type ValidateOptions } from './validate-config.ts';
export { inlineConfig } from './steps.ts';
