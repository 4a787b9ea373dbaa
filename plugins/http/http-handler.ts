// http.handler: the upstream placeholder handler. Answers {"handler", "status", "message"} with its
// contentType unless wiring code gave it a function (setHandler).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigMap, HttpHandler, HttpHandlerFn, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';

export const httpHandlerSchema: TypeSchema = {
  description: 'Placeholder HTTP handler answering a fixed JSON document',
  configFields: [
    { key: 'contentType', type: 'string', default: 'application/json', description: 'Content-Type of the response' },
  ],
};

export class HttpHandlerModule implements Module, HttpHandler {
  readonly type = 'http.handler';
  private fn?: HttpHandlerFn;
  private readonly contentType: string;
  private readonly body: string;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.contentType =
      typeof config.contentType === 'string' && config.contentType !== '' ? config.contentType : 'application/json';
    this.body = JSON.stringify({ handler: name, status: 'success', message: 'Default handler response' });
  }

  setHandler(fn: HttpHandlerFn): void {
    this.fn = fn;
  }

  handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void | Promise<void> {
    if (this.fn) return this.fn(req, res, params);
    res.statusCode = 200;
    res.setHeader('Content-Type', this.contentType);
    res.setHeader('Content-Length', Buffer.byteLength(this.body));
    res.end(this.body);
  }
}

export const createHttpHandler: ModuleFactory = (spec) => new HttpHandlerModule(spec.name, spec.config);
