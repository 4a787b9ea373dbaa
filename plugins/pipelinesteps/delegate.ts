// step.delegate: hands the live HTTP request to a handler service (any module with handleHttp)
// and stops the pipeline. The body, already read by the trigger, is replayed to the handler.
import { IncomingMessage } from 'node:http';
import { HttpHandlerCap, type HttpExchange, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { markHandled } from './json-response.ts';
import { reqString } from './step-config.ts';

export const delegateSchema: TypeSchema = {
  description: 'Forwards the HTTP request to a handler module',
  configFields: [{ key: 'service', type: 'string', required: true, description: 'name of a module that handles HTTP' }],
};

/** A fresh request stream carrying the already-read body, with the original method, url, headers. */
export function replayRequest(http: HttpExchange): IncomingMessage {
  const req = http.req;
  if (!http.rawBody) return req;
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.headers = req.headers;
  copy.rawHeaders = req.rawHeaders;
  copy.httpVersion = req.httpVersion;
  if (http.rawBody) copy.push(http.rawBody);
  copy.push(null);
  copy.complete = true;
  return copy;
}

export const createDelegateStep: StepFactory = (spec, ctx) => {
  const service = reqString(spec.config, 'service', 'service: <handler module name>');
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const target = ctx.services.get(service);
      if (!HttpHandlerCap.is(target)) {
        throw new Error(
          target === undefined
            ? `delegate "${spec.name}": service "${service}" is not defined`
            : `delegate "${spec.name}": "${service}" cannot handle HTTP requests`,
        );
      }
      if (!pc.http)
        throw new Error(`delegate "${spec.name}" needs an HTTP request (run the pipeline from an http trigger)`);
      const res = pc.http.res;
      await target.handleHttp(replayRequest(pc.http), res, pc.http.params);
      // handlers may answer asynchronously (after reading the body); the step ends with the response
      if (!res.writableEnded) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('finish', done);
            res.off('close', done);
            pc.signal.removeEventListener('abort', done);
            resolve();
          };
          res.on('finish', done);
          res.on('close', done);
          pc.signal.addEventListener('abort', done, { once: true });
        });
      }
      markHandled(pc);
      return { output: { delegated_to: service }, stop: true };
    },
  };
};
