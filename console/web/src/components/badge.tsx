import { tone as toneOf } from '../format.ts';

/** A status word with its colour; the word itself carries the meaning (colour is never the only cue). */
export function Badge({ status, label, tone }: { status: string; label?: string; tone?: ReturnType<typeof toneOf> }) {
  return (
    <span class={`badge badge-${tone ?? toneOf(status)}`} title={label}>
      {status || 'Unknown'}
    </span>
  );
}
