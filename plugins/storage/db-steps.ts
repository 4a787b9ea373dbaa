// step.db_query and step.db_exec: SQL against a database module with positional parameters.
// The SQL text is fixed at load time; values come in through `params`, so a request can never change
// the statement. Templates in the query are refused unless `allow_dynamic_sql: true` says otherwise.
import {
  ConfigValueError,
  type CompiledValue,
  type PipelineContext,
  type Step,
  type StepBuildContext,
  type StepResult,
  type StepSpec,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, moduleRef } from '../support/index.ts';
import { SqlClientCap, type SqlClient } from './sql-client.ts';

const commonFields: TypeSchema['configFields'] = [
  { key: 'database', type: 'string', required: true, aliases: ['module'], description: 'Database module name' },
  {
    key: 'query',
    type: 'sql',
    required: true,
    description: 'SQL with positional parameters: $1..$N (SQLite and PostgreSQL) or ? (SQLite)',
  },
  { key: 'params', type: 'array', aliases: ['args'], description: 'Parameter values (templates allowed), in order' },
  {
    key: 'allow_dynamic_sql',
    type: 'boolean',
    default: false,
    description: 'Allow {{ }} templates inside the SQL text itself',
  },
];

export const dbQueryStepSchema: TypeSchema = {
  description: 'Run a SELECT and return rows (list) or one row (single)',
  configFields: [
    ...commonFields,
    {
      key: 'mode',
      type: 'select',
      default: 'list',
      options: ['list', 'single', 'many', 'one'],
      description: 'many = list, one = single',
    },
  ],
  outputs: [
    { key: 'rows', type: 'array', description: 'list mode' },
    { key: 'count', type: 'number', description: 'list mode' },
    { key: 'row', type: 'map', description: 'single mode' },
    { key: 'found', type: 'boolean', description: 'single mode' },
  ],
};

export const dbExecStepSchema: TypeSchema = {
  description: 'Run INSERT/UPDATE/DELETE/DDL',
  configFields: [
    ...commonFields,
    {
      key: 'returning',
      type: 'boolean',
      default: false,
      description: 'The statement has a RETURNING clause; output its rows',
    },
    {
      key: 'ignore_error',
      type: 'boolean',
      default: false,
      description: 'On a SQL error output {error} instead of failing the step',
    },
  ],
  outputs: [
    { key: 'affected_rows', type: 'number' },
    { key: 'last_id', type: 'number' },
    { key: 'rows', type: 'array', description: 'with returning' },
  ],
};

interface SqlStepParts {
  database: () => SqlClient;
  sql: (pc: PipelineContext) => string;
  params: (pc: PipelineContext) => unknown[];
}

export function sqlStepParts(spec: StepSpec, ctx: StepBuildContext): SqlStepParts {
  const c = new ConfigReader(spec.config);
  const dbName = c.requiredString(['database', 'module'], 'name the database module, e.g. database: main-db');
  const query = c.requiredString('query');
  const dynamic = c.boolean('allow_dynamic_sql', false)!;
  if (!dynamic && (query.includes('{{') || query.includes('${'))) {
    throw new ConfigValueError('templates are not allowed in "query" (SQL injection risk)', {
      path: ['query'],
      hint:
        'pass values through params ($1, $2 ...), or set allow_dynamic_sql: true if the template cannot ' +
        'carry user input',
    });
  }
  const compiledQuery: CompiledValue | undefined = dynamic ? ctx.templates.compile(query, ['query']) : undefined;
  const paramsKey = spec.config.params !== undefined ? 'params' : 'args';
  const compiledParams = c.list(['params', 'args']).map((p, i) => ctx.templates.compile(p, [paramsKey, i]));
  return {
    database: moduleRef(ctx, spec, dbName, 'SQL database', SqlClientCap),
    sql: (pc) => (compiledQuery ? String(compiledQuery.resolve(pc)) : query),
    params: (pc) => compiledParams.map((p) => p.resolve(pc)),
  };
}

export function createDbQueryStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const parts = sqlStepParts(spec, ctx);
  const mode = new ConfigReader(spec.config).oneOf('mode', ['list', 'single'] as const, 'list', {
    many: 'list',
    one: 'single',
  });
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const rows = await parts.database().queryRows(parts.sql(pc), parts.params(pc));
      if (mode === 'single')
        return { output: rows.length > 0 ? { row: rows[0], found: true } : { row: {}, found: false } };
      return { output: { rows, count: rows.length } };
    },
  };
}

export function createDbExecStep(spec: StepSpec, ctx: StepBuildContext): Step {
  const parts = sqlStepParts(spec, ctx);
  const c = new ConfigReader(spec.config);
  const returning = c.boolean('returning', false)!;
  const ignoreError = c.boolean('ignore_error', false)!;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc: PipelineContext): Promise<StepResult> {
      const db = parts.database();
      try {
        if (returning) {
          const rows = await db.queryRows(parts.sql(pc), parts.params(pc));
          return { output: { rows, count: rows.length, affected_rows: rows.length, last_id: null } };
        }
        const { affectedRows, lastId } = await db.execute(parts.sql(pc), parts.params(pc));
        return {
          output: { affected_rows: affectedRows, last_id: typeof lastId === 'bigint' ? Number(lastId) : lastId },
        };
      } catch (err) {
        if (!ignoreError) throw err;
        pc.logger.warn({ step: spec.name, err: (err as Error).message }, 'db_exec failed; ignore_error is set');
        return { output: { affected_rows: 0, last_id: null, error: (err as Error).message } };
      }
    },
  };
}
