import type { UsageView } from '../../../api-types.ts';

/** Usage against a quota: the numbers in words ("3 of 5 apps") and a bar beside them. */
export function UsageBar({ label, usage }: { label: string; usage: UsageView }) {
  const limit = usage.limit;
  const ratio = limit && limit > 0 ? Math.min(1, usage.used / limit) : 0;
  const level = limit === null ? 'none' : ratio >= 1 ? 'full' : ratio >= 0.8 ? 'high' : 'ok';
  const text = limit === null ? `${usage.used} ${label}, no limit` : `${usage.used} of ${limit} ${label}`;
  return (
    <div class="usage">
      <div class="usage-text">
        <span class="usage-label">{label}</span>
        <span>{text}</span>
      </div>
      {/* the words above say it all; the bar is for the eye */}
      <div class={`usage-track usage-${level}`} aria-hidden="true">
        <div class="usage-fill" style={{ width: `${Math.round(ratio * 100)}%` }} />
      </div>
    </div>
  );
}
