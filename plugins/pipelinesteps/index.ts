// plugins/pipelinesteps: the generic pipeline step types.
import { pluginManifestInfo, type EnginePlugin, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import manifestJson from './manifest.json' with { type: 'json' };
import { buildUiSchema, createBuildUiStep } from './build-ui.ts';
import { authValidateSchema, createAuthValidateStep, createTokenRevokeStep, tokenRevokeSchema } from './auth-steps.ts';
import { authzCheckSchema, createAuthzCheckStep } from './authz-check.ts';
import { createBase64DecodeStep, base64DecodeSchema } from './base64-decode.ts';
import { createBranchStep, branchSchema } from './branch.ts';
import {
  cacheDeleteSchema,
  cacheGetSchema,
  cacheSetSchema,
  createCacheDeleteStep,
  createCacheGetStep,
  createCacheSetStep,
} from './cache-steps.ts';
import { cliInvokeSchema, createCliInvokeStep } from './cli-invoke.ts';
import { cliPrintSchema, createCliPrintStep } from './cli-print.ts';
import { createEventDecryptStep, eventDecryptSchema } from './event-decrypt.ts';
import { createFieldReencryptStep, fieldReencryptSchema } from './field-reencrypt.ts';
import { createCircuitBreakerStep, circuitBreakerSchema } from './circuit-breaker.ts';
import { createGraphqlStep, graphqlSchema } from './graphql.ts';
import { createHashStep, hashSchema } from './hash.ts';
import { createHttpProxyStep, httpProxySchema } from './http-proxy.ts';
import { createJqStep, jqSchema } from './jq.ts';
import { createJsonParseStep, jsonParseSchema } from './json-parse.ts';
import { createRegexMatchStep, regexMatchSchema } from './regex-match.ts';
import { createSecretFetchStep, createSecretSetStep, secretFetchSchema, secretSetSchema } from './secret-steps.ts';
import { createRetryWithBackoffStep, retryWithBackoffSchema } from './retry-with-backoff.ts';
import { createSandboxExecStep, sandboxExecSchema } from './sandbox-exec.ts';
import { createStaticFileStep, staticFileSchema } from './static-file.ts';
import {
  createUiScaffoldAnalyzeStep,
  createUiScaffoldStep,
  uiScaffoldAnalyzeSchema,
  uiScaffoldSchema,
} from './ui-scaffold.ts';
import { createValidatePaginationStep, validatePaginationSchema } from './validate-pagination.ts';
import { createValidateRequestBodyStep, validateRequestBodySchema } from './validate-request-body.ts';
import { createWhileStep, whileSchema } from './while.ts';
import { conditionalSchema, createConditionalStep } from './conditional.ts';
import { createDelegateStep, delegateSchema } from './delegate.ts';
import { createForeachStep, foreachSchema } from './foreach.ts';
import { createHttpCallStep, httpCallSchema } from './http-call.ts';
import { createJsonResponseStep, jsonResponseSchema } from './json-response.ts';
import { createLogStep, logSchema } from './log.ts';
import { createParallelStep, parallelSchema } from './parallel.ts';
import { createPipelineOutputStep, pipelineOutputSchema } from './pipeline-output.ts';
import { createRawResponseStep, rawResponseSchema } from './raw-response.ts';
import { createRequestParseStep, requestParseSchema } from './request-parse.ts';
import { createSetStep, setSchema } from './set.ts';
import { createSubWorkflowStep, subWorkflowSchema } from './sub-workflow.ts';
import { createTransformStep, transformSchema } from './transform.ts';
import { createValidatePathParamStep, validatePathParamSchema } from './validate-path-param.ts';
import { createValidateStep, validateSchema } from './validate.ts';
import { createWebhookVerifyStep, webhookVerifySchema } from './webhook-verify.ts';
import { createWorkflowCallStep, workflowCallSchema } from './workflow-call.ts';

export { applyOperations } from './transform.ts';
export { profileDefaults } from './sandbox-config.ts';
export { runInSandbox, SandboxError, type ExecResult, type SandboxWorkspace } from './sandbox-runner.ts';

const steps: Record<string, [StepFactory, TypeSchema]> = {
  'step.set': [createSetStep, setSchema],
  'step.log': [createLogStep, logSchema],
  'step.validate': [createValidateStep, validateSchema],
  'step.validate_path_param': [createValidatePathParamStep, validatePathParamSchema],
  'step.request_parse': [createRequestParseStep, requestParseSchema],
  'step.json_response': [createJsonResponseStep, jsonResponseSchema],
  'step.response': [createJsonResponseStep, jsonResponseSchema],
  'step.raw_response': [createRawResponseStep, rawResponseSchema],
  'step.conditional': [createConditionalStep, conditionalSchema],
  'step.http_call': [createHttpCallStep, httpCallSchema],
  'step.transform': [createTransformStep, transformSchema],
  'step.foreach': [createForeachStep, foreachSchema],
  'step.parallel': [createParallelStep, parallelSchema],
  'step.delegate': [createDelegateStep, delegateSchema],
  'step.workflow_call': [createWorkflowCallStep, workflowCallSchema],
  'step.sub_workflow': [createSubWorkflowStep, subWorkflowSchema],
  'step.webhook_verify': [createWebhookVerifyStep, webhookVerifySchema],
  'step.pipeline_output': [createPipelineOutputStep, pipelineOutputSchema],
  'step.build_ui': [createBuildUiStep, buildUiSchema],
  'step.base64_decode': [createBase64DecodeStep, base64DecodeSchema],
  'step.branch': [createBranchStep, branchSchema],
  'step.resilient_circuit_breaker': [createCircuitBreakerStep, circuitBreakerSchema],
  'step.hash': [createHashStep, hashSchema],
  'step.http_proxy': [createHttpProxyStep, httpProxySchema],
  'step.jq': [createJqStep, jqSchema],
  'step.json_parse': [createJsonParseStep, jsonParseSchema],
  'step.regex_match': [createRegexMatchStep, regexMatchSchema],
  'step.retry_with_backoff': [createRetryWithBackoffStep, retryWithBackoffSchema],
  'step.static_file': [createStaticFileStep, staticFileSchema],
  'step.validate_pagination': [createValidatePaginationStep, validatePaginationSchema],
  'step.validate_request_body': [createValidateRequestBodyStep, validateRequestBodySchema],
  'step.while': [createWhileStep, whileSchema],
  'step.cache_get': [createCacheGetStep, cacheGetSchema],
  'step.cache_set': [createCacheSetStep, cacheSetSchema],
  'step.cache_delete': [createCacheDeleteStep, cacheDeleteSchema],
  'step.auth_validate': [createAuthValidateStep, authValidateSchema],
  'step.token_revoke': [createTokenRevokeStep, tokenRevokeSchema],
  'step.authz_check': [createAuthzCheckStep, authzCheckSchema],
  'step.cli_invoke': [createCliInvokeStep, cliInvokeSchema],
  'step.cli_print': [createCliPrintStep, cliPrintSchema],
  'step.event_decrypt': [createEventDecryptStep, eventDecryptSchema],
  'step.field_reencrypt': [createFieldReencryptStep, fieldReencryptSchema],
  'step.secret_fetch': [createSecretFetchStep, secretFetchSchema],
  'step.secret_set': [createSecretSetStep, secretSetSchema],
  'step.sandbox_exec': [createSandboxExecStep, sandboxExecSchema],
  'step.graphql': [createGraphqlStep, graphqlSchema],
  'step.ui_scaffold': [createUiScaffoldStep, uiScaffoldSchema],
  'step.ui_scaffold_analyze': [createUiScaffoldAnalyzeStep, uiScaffoldAnalyzeSchema],
};

export const pipelineStepsPlugin: EnginePlugin = {
  manifest: pluginManifestInfo(manifestJson),
  steps: Object.fromEntries(Object.entries(steps).map(([t, [f]]) => [t, f])),
  stepSchemas: Object.fromEntries(Object.entries(steps).map(([t, [, s]]) => [t, s])),
};
