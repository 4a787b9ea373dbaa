// Small display helpers shared by the pages.

/** "42s", "5m", "3h", "2d" since an RFC 3339 time, like kubectl's AGE column. */
export function age(time: string | null, now = Date.now()): string {
  if (!time) return '-';
  const s = Math.max(0, Math.floor((now - Date.parse(time)) / 1000));
  if (!Number.isFinite(s)) return '-';
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function shortRevision(rev: string | null): string {
  if (!rev) return '-';
  return /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 7) : rev;
}

export function dateTime(time: string | null): string {
  if (!time) return '-';
  const d = new Date(time);
  return Number.isNaN(d.getTime()) ? time : d.toLocaleString();
}

/** The status words the pages colour, mapped to one of four tones. */
export function tone(status: string): 'good' | 'warn' | 'bad' | 'neutral' {
  switch (status) {
    case 'Running':
    case 'Synced':
    case 'Healthy':
    case 'True':
    case 'Succeeded':
    case 'Ready':
    case 'Valid':
    case 'Normal':
      return 'good';
    case 'Progressing':
    case 'Pending':
    case 'OutOfSync':
    case 'Suspended':
    case 'Terminating':
      return 'warn';
    case 'Degraded':
    case 'Failed':
    case 'Missing':
    case 'False':
    case 'Error':
    case 'Warning':
    case 'Invalid':
      return 'bad';
    default:
      return 'neutral';
  }
}

/** An endpoint a browser on this machine can open (a cluster-internal Service name is not one). */
export function isReachable(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return !/\.svc(\.cluster\.local)?$/.test(host);
  } catch {
    return false;
  }
}
