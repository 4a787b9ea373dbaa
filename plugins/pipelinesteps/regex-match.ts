// step.regex_match: `pattern` (RE2 syntax, as Go's regexp upstream) against the template-resolved
// `input` -> {matched, match, groups}. The input usually carries request data, so matching runs in
// linear time (RE2): no pattern can be made to backtrack for minutes on a crafted input.
import { ConfigValueError, formatValue, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { compileLinearRegExp, RegExpSyntaxError } from '../../security/index.ts';
import { ConfigReader } from '../support/index.ts';

export const regexMatchSchema: TypeSchema = {
  description: 'Matches a regular expression (RE2 syntax) against a template-resolved string',
  configFields: [
    { key: 'pattern', type: 'string', required: true, description: 'RE2 / Go regexp syntax' },
    { key: 'input', type: 'string', required: true, description: 'template of the string to match' },
  ],
  outputs: [
    { key: 'matched', type: 'boolean' },
    { key: 'match', type: 'string', description: 'the text of the first match ("" when none)' },
    { key: 'groups', type: 'array', description: 'the capture groups of the first match' },
  ],
};

export const createRegexMatchStep: StepFactory = (spec, ctx) => {
  const cfg = new ConfigReader(spec.config);
  const pattern = cfg.requiredString('pattern', 'pattern: "^ord-(\\\\d+)$"');
  const input = ctx.templates.compile(cfg.requiredString('input', 'input: "{{ .order_id }}"'), ['input']);
  let re: ReturnType<typeof compileLinearRegExp>;
  try {
    re = compileLinearRegExp(pattern);
  } catch (err) {
    if (!(err instanceof RegExpSyntaxError)) throw err;
    throw new ConfigValueError(`"pattern" is not a valid RE2 regular expression: ${err.message}`, {
      path: ['pattern'],
      hint: 'RE2 (Go regexp) syntax: no lookaround or backreferences',
    });
  }
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const m = re.match(formatValue(input.resolve(pc)));
      return {
        output: m ? { matched: true, match: m[0], groups: m.slice(1) } : { matched: false, match: '', groups: [] },
      };
    },
  };
};
