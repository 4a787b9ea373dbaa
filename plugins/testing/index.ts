// plugins/testing: test helpers for plugin authors (no plugin types). The real engine over a config
// object in temp dirs, real HTTP on 127.0.0.1:0, a JSON client, a recording step, the upstream corpus.
export { TestApp, startTestApp, type TestAppOptions } from './test-app.ts';
export { serve, serveRoutes, requestJson, waitFor, type TestServer, type JsonResponse } from './http.ts';
export { createRecorder, type Recorder } from './recorder.ts';
export { corpusExamples, corpusRegistrySchema } from './corpus.ts';
export { rejectsWithIssue } from './config-issues.ts';
export { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';
export {
  freePort,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
  type BackingServer,
  type PostgresServer,
} from './backing-servers.ts';
export { startVaultStandin, type VaultStandin } from './vault-standin.ts';
