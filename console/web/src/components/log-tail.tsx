import { useEffect, useRef, useState } from 'preact/hooks';
import type { LogLine } from '../../../api-types.ts';

const maxLines = 500;

/** The app's pods' logs as they are written (SSE), newest at the bottom, with pause and clear. */
export function LogTail({ namespace, name }: { namespace: string; name: string }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [notice, setNotice] = useState<string>('connecting…');
  const [paused, setPaused] = useState(false);
  const box = useRef<HTMLPreElement>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(() => {
    setLines([]);
    const events = new EventSource(`/api/apps/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/logs`);
    let pending: LogLine[] = [];
    let timer: number | undefined;
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setLines((old) => [...old, ...batch].slice(-maxLines));
    };
    events.onopen = () => setNotice('following');
    events.onerror = () => setNotice('reconnecting…');
    events.addEventListener('line', (e) => {
      if (pausedRef.current) return;
      pending.push(JSON.parse((e as MessageEvent<string>).data) as LogLine);
      timer ??= window.setTimeout(flush, 100);
    });
    events.addEventListener('notice', (e) =>
      setNotice((JSON.parse((e as MessageEvent<string>).data) as { message: string }).message),
    );
    return () => {
      events.close();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [namespace, name]);

  useEffect(() => {
    const el = box.current;
    if (el && !paused) el.scrollTop = el.scrollHeight;
  }, [lines, paused]);

  return (
    <div class="log-tail">
      <div class="toolbar">
        <button type="button" onClick={() => setPaused(!paused)} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => setLines([])}>
          Clear
        </button>
        <span class="muted">
          {lines.length} lines · {paused ? 'paused' : notice}
        </span>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the log scrolls; keyboard users need to reach it */}
      <pre class="logs" ref={box} tabIndex={0} role="log" aria-label={`Logs of ${name}`} aria-live="off">
        {lines.length === 0
          ? 'No log lines yet.'
          : lines.map((l, i) => (
              <span key={i} class="log-line">
                <span class="log-pod">{l.pod.slice(-5)}</span> {l.line}
                {'\n'}
              </span>
            ))}
      </pre>
    </div>
  );
}
