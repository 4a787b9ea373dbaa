// engine/template: the Go-template + `${ }` expression evaluator used for pipeline step configs.
export { TemplateEngine, lookupPath, guardTruthy } from './template-engine.ts';
export type { CompiledTemplate, TemplateDiagnostics, TemplateEngineOptions } from './template-engine.ts';
export { TEMPLATE_FUNCTION_NAMES, formatGoTime } from './functions.ts';
export { formatValue, formatOutput, sprintf } from './go-format.ts';
export { hasTemplateSyntax } from './go-template-parser.ts';
export { isPlainMap, isTrue } from './values.ts';
