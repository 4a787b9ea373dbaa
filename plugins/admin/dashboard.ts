// admin.dashboard: the admin UI, one self-contained page (dashboard-page.ts) served for every GET that
// reaches it, as a single-page app's fallback; paths under /api/ get a JSON 404 instead, so a
// mistyped API call never answers with HTML.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpHandler, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, requestPath, writeJson } from '../support/index.ts';
import { dashboardPage } from './dashboard-page.ts';

export const adminDashboardSchema: TypeSchema = {
  description: 'The admin dashboard page (setup, login, engine status, modules and config), for an admin router',
  configFields: [{ key: 'title', type: 'string', default: 'Workflow admin', description: 'page title' }],
};

export class AdminDashboardModule implements Module, HttpHandler {
  readonly type = 'admin.dashboard';
  private readonly page: Buffer;

  constructor(
    readonly name: string,
    title: string,
  ) {
    this.page = Buffer.from(dashboardPage(title));
  }

  handleHttp(req: IncomingMessage, res: ServerResponse): void {
    if (requestPath(req).startsWith('/api/')) return writeJson(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return writeJson(res, 405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(this.page.length),
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : this.page);
  }
}

export const createAdminDashboard: ModuleFactory = (spec) =>
  new AdminDashboardModule(spec.name, new ConfigReader(spec.config).string('title', 'Workflow admin')!);
