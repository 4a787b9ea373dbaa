// http.middleware.requestid: every request carries an id (the caller's X-Request-ID when it is
// sane, else a new UUID), echoed in the response.
import { randomUUID } from 'node:crypto';
import type {
  ConfigMap,
  HttpHandlerFn,
  HttpMiddleware,
  Module,
  ModuleFactory,
  TypeSchema,
} from '../../../engine/index.ts';

export const requestIdSchema: TypeSchema = {
  description: 'Assigns X-Request-ID to every request and response',
  configFields: [{ key: 'headerName', type: 'string', default: 'X-Request-ID' }],
};

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class RequestIdMiddleware implements Module, HttpMiddleware {
  readonly type = 'http.middleware.requestid';
  private readonly header: string;

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    this.header =
      typeof config.headerName === 'string' && config.headerName !== '' ? config.headerName : 'X-Request-ID';
  }

  wrap(next: HttpHandlerFn): HttpHandlerFn {
    const lower = this.header.toLowerCase();
    return (req, res, params) => {
      const incoming = req.headers[lower];
      const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
      req.headers[lower] = id;
      res.setHeader(this.header, id);
      return next(req, res, params);
    };
  }
}

export const createRequestIdMiddleware: ModuleFactory = (spec) => new RequestIdMiddleware(spec.name, spec.config);
