/**
 * A read-only JSON viewer with syntax colours and collapsible objects. A claim-check
 * (`{$payload: {ref, bytes, sha256}}`, a payload over the inline limit) shows its size and loads
 * the value from GET /api/v1/payloads/{ref} on demand.
 */
import { useState } from 'react';
import { useOptionalOrchestrator } from '../store/react.tsx';
import { errorMessage } from '../api/client.ts';

interface PayloadRef {
  ref: string;
  bytes: number;
  sha256: string;
}

function claimOf(value: unknown): PayloadRef | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== '$payload') return undefined;
  const p = (value as { $payload: unknown }).$payload as Partial<PayloadRef> | null;
  return p !== null && typeof p === 'object' && typeof p.ref === 'string' && typeof p.bytes === 'number' && typeof p.sha256 === 'string' ? (p as PayloadRef) : undefined;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

function Payload({ claim, depth }: { claim: PayloadRef; depth: number }) {
  const store = useOptionalOrchestrator();
  const [state, setState] = useState<{ loading?: boolean; value?: unknown; loaded?: boolean; error?: string }>({});
  if (state.loaded) return <Value value={state.value} depth={depth} />;
  const load = (): void => {
    if (store === null) return;
    setState({ loading: true });
    store.api.getPayload(claim.ref).then(
      (value) => setState({ value, loaded: true }),
      (error: unknown) => setState({ error: errorMessage(error) }),
    );
  };
  return (
    <span className="ol-j-payload" title={`payload ${claim.ref}, sha256 ${claim.sha256}`}>
      <span className="ol-j-more">payload · {formatBytes(claim.bytes)} </span>
      {store !== null && (
        <button type="button" className="ol-j-toggle" onClick={load} disabled={state.loading === true}>
          {state.loading === true ? 'loading…' : 'load'}
        </button>
      )}
      {state.error !== undefined && <span className="ol-error-box">{state.error}</span>}
    </span>
  );
}

function Value({ value, depth }: { value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const claim = claimOf(value);
  if (claim !== undefined) return <Payload claim={claim} depth={depth} />;
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
