// The engine configs a revision carries (inline spec.config, plain engine config files) checked
// with the operator's config validator before anything is applied. A WorkflowApp whose config is
// invalid is not applied (the running version keeps serving); the problem names the file, and the
// line and column in that file (an inline config's lines are shifted to where it sits).
import type { ConfigValidator } from '../config/validator.ts';
import type { Rendered } from './render-source.ts';

export async function checkEmbeddedConfigs(rendered: Rendered, validate: ConfigValidator): Promise<void> {
  const keep = [];
  for (const o of rendered.objects) {
    if (!o.config) {
      keep.push(o);
      continue;
    }
    const { text, file, firstLine, indent } = o.config;
    const check = await validate(text, file);
    if (check.ok) {
      keep.push(o);
      continue;
    }
    const first = check.errors[0] ?? `${file}: invalid engine config`;
    const m = /^(.*?):(\d+):(\d+): ?(.*)$/s.exec(first);
    const line = m ? firstLine + Number(m[2]) - 1 : o.line;
    const column = m ? Number(m[3]) + indent : undefined;
    const rest = check.errors.length > 1 ? ` (and ${check.errors.length - 1} more)` : '';
    rendered.problems.push({
      group: o.group,
      kind: o.kind,
      namespace: o.namespace,
      name: o.name,
      file,
      line,
      ...(column !== undefined ? { column } : {}),
      status: 'Failed',
      message: `WorkflowApp ${o.name}: invalid engine config: ${m ? m[4] : first}${rest}`,
    });
  }
  rendered.objects = keep;
}
