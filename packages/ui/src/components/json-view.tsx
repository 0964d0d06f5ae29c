/** A read-only JSON viewer with syntax colours and collapsible objects. */
import { useState } from 'react';

function Value({ value, depth }: { value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  if (value === null) return <span className="ol-j-null">null</span>;
  if (value === undefined) return <span className="ol-j-null">—</span>;
  if (typeof value === 'string') return <span className="ol-j-str">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="ol-j-num">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="ol-j-bool">{String(value)}</span>;
  if (typeof value !== 'object') return <span>{String(value)}</span>;
  const isArray = Array.isArray(value);
  const entries = isArray ? (value as unknown[]).map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const [l, r] = isArray ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <span className="ol-j-punct">{l + r}</span>;
  return (
    <span>
      <button type="button" className="ol-j-toggle" onClick={() => setOpen(!open)} aria-label={open ? 'collapse' : 'expand'}>
        {open ? '▾' : '▸'}
      </button>
      <span className="ol-j-punct">{l}</span>
      {open ? (
        <span className="ol-j-block">
          {entries.map(([k, v]) => (
            <span key={k} className="ol-j-row">
              {!isArray && <span className="ol-j-key">{JSON.stringify(k)}</span>}
              {!isArray && <span className="ol-j-punct">: </span>}
              <Value value={v} depth={depth + 1} />
            </span>
          ))}
        </span>
      ) : (
        <span className="ol-j-more"> {entries.length} {isArray ? 'items' : 'keys'} </span>
      )}
      <span className="ol-j-punct">{r}</span>
    </span>
  );
}

export function JsonView({ value, label }: { value: unknown; label?: string }) {
  return (
    <div className="ol-json" aria-label={label}>
      <Value value={value} depth={0} />
    </div>
  );
}
