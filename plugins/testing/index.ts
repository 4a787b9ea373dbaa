// plugins/testing: test helpers for plugin authors (no plugin types). A minimal app context with
// the real module lifecycle, real HTTP on 127.0.0.1:0 and a JSON client.
export { TestApp, startTestApp, type TestAppOptions } from './test-app.ts';
export { MapServiceRegistry } from './service-registry.ts';
export { miniTemplates } from './mini-templates.ts';
export { serve, serveRoutes, requestJson, waitFor, type TestServer, type JsonResponse } from './http.ts';
export { createRecorder, type Recorder } from './recorder.ts';
export { corpusExamples, corpusRegistrySchema, skipWithoutCorpus } from './corpus.ts';
