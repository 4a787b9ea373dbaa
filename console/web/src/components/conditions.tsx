import type { ConditionView } from '../../../api-types.ts';
import { age } from '../format.ts';
import { Badge } from './badge.tsx';

export function Conditions({ conditions, caption }: { conditions: ConditionView[]; caption: string }) {
  if (conditions.length === 0) return <p class="notice">No conditions reported yet.</p>;
  return (
    <table>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Reason</th>
          <th scope="col">Message</th>
          <th scope="col">Changed</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type}>
            <th scope="row">{c.type}</th>
            <td>
              <Badge status={c.status} tone={conditionTone(c)} />
            </td>
            <td>{c.reason}</td>
            <td class="message">{c.message}</td>
            <td>{age(c.lastTransitionTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Conditions whose True is bad news (Degraded, Stalled) read the other way round; Progressing is neither. */
const negative = new Set(['Degraded', 'Stalled', 'Failed', 'OutOfQuota', 'Suspended']);
const neutral = new Set(['Progressing', 'Reconciling']);

function conditionTone(c: ConditionView): 'good' | 'warn' | 'bad' | 'neutral' {
  if (c.status !== 'True' && c.status !== 'False') return 'neutral';
  if (neutral.has(c.type)) return c.status === 'True' ? 'warn' : 'neutral';
  const healthy = negative.has(c.type) ? c.status === 'False' : c.status === 'True';
  return healthy ? 'good' : 'bad';
}
