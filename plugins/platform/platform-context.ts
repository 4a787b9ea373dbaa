// platform.context: who and where this app runs for (org, environment, tier), plus the platform
// templates of the config's top-level `platform` section. Other modules read it as a service;
// routed to, GET answers the context and POST .../{template} renders a template with JSON params.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ConfigValueError,
  type AppContext,
  type ConfigMap,
  type HttpHandler,
  type Module,
  type ModuleSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, isPlainObject, readJson, writeJson } from '../support/index.ts';
import { parseTemplates, renderTemplate, type PlatformTemplate } from './platform-template.ts';

export const platformContextSchema: TypeSchema = {
  description: 'Platform context (org, environment, tier) and platform templates',
  configFields: [
    { key: 'org', type: 'string', required: true },
    { key: 'environment', type: 'string', required: true },
    { key: 'tier', type: 'number', default: 3, description: '1 infrastructure, 2 shared primitives, 3 application' },
  ],
};

export class PlatformContextModule implements Module, HttpHandler {
  readonly type = 'platform.context';
  readonly org: string;
  readonly environment: string;
  readonly tier: number;
  private templates: PlatformTemplate[] = [];

  constructor(
    readonly name: string,
    config: ConfigMap,
  ) {
    const c = new ConfigReader(config);
    this.org = c.requiredString('org');
    this.environment = c.requiredString('environment');
    this.tier = c.number('tier', 3)!;
    if (![1, 2, 3].includes(this.tier))
      throw new ConfigValueError(`tier must be 1, 2 or 3, got ${this.tier}`, { path: ['tier'] });
  }

  init(app: AppContext): void {
    const platform = app.config.platform;
    try {
      this.templates = parseTemplates(isPlainObject(platform) ? platform.templates : undefined);
    } catch (err) {
      throw new ConfigValueError((err as Error).message);
    }
  }

  context(): ConfigMap {
    return {
      org: this.org,
      environment: this.environment,
      tier: this.tier,
      templates: this.templates.map((t) => ({
        name: t.name,
        version: t.version,
        description: t.description,
        parameters: t.parameters,
      })),
    };
  }

  template(name: string): PlatformTemplate | undefined {
    return this.templates.find((t) => t.name === name);
  }

  async handleHttp(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> {
    const name = params.template ?? params.name;
    if (req.method === 'GET' && !name) return writeJson(res, 200, this.context());
    if (!name) return writeJson(res, 405, { error: 'GET for the context; POST .../{template} to render one' });
    const template = this.template(name);
    if (!template) return writeJson(res, 404, { error: `platform template "${name}" not found` });
    if (req.method === 'GET') return writeJson(res, 200, template);
    const body = await readJson(req);
    if (!body.ok) return writeJson(res, body.status, { error: body.error });
    const result = renderTemplate(template, isPlainObject(body.value) ? body.value : {});
    if (!result.ok) return writeJson(res, 400, { error: 'invalid template parameters', problems: result.problems });
    writeJson(res, 200, { template: template.name, version: template.version, ...result.rendered });
  }
}

export function createPlatformContext(spec: ModuleSpec): PlatformContextModule {
  return new PlatformContextModule(spec.name, spec.config);
}
