/**
 * The dead-letter queue: what was parked, why and from where, with the value decoded where it
 * decodes. Pages follow the gateway's cursor. Redrive the selected letters, or every letter whose
 * reason contains a text; the gateway answers how many it redrives.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Dispatch, SetStateAction } from 'react';
import type { DeadLetterItem, RedriveBody } from '../api/types.ts';
import { formatDateTime, formatRelative } from '../components/format-time.ts';
import { describeValue } from '../store/ops.ts';
import { useNow, useOrchestrator } from '../store/react.tsx';
import { errorMessage } from '../api/client.ts';

const PAGE = 50;

type Orchestrator = ReturnType<typeof useOrchestrator>;

/** The dead letters read so far, a page at a time along the gateway's cursor. */
function useDeadLetters(store: Orchestrator) {
  const [items, setItems] = useState<DeadLetterItem[] | undefined>(undefined);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);

  const loadFirst = useCallback(async () => {
    try {
      const page = await store.api.listDeadLetters({ limit: PAGE });
      setItems(page.items);
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (err) {
      setError(errorMessage(err));
    }
  }, [store]);

  const loadMore = async (): Promise<void> => {
    if (cursor === null) return;
    try {
      const page = await store.api.listDeadLetters({ limit: PAGE, cursor });
      setItems((cur) => [...(cur ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  useEffect(() => {
    void loadFirst();
  }, [loadFirst]);

  /** The reasons among the letters shown, most frequent first. */
  const reasons = useMemo(() => {
    const counts = new Map<string, number>();
    for (const i of items ?? []) counts.set(i.reason, (counts.get(i.reason) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }, [items]);

  return { items, cursor, error, reasons, loadFirst, loadMore };
}

export function DlqView() {
  const store = useOrchestrator();
  const now = useNow(5000);
  const { items, cursor, error, reasons, loadFirst, loadMore } = useDeadLetters(store);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | undefined>(undefined);

  // A letter no longer listed (redriven, or expired) is no longer selected.
  useEffect(() => setSelected((s) => new Set([...s].filter((id) => items?.some((i) => i.id === id)))), [items]);

  const redrive = async (body: RedriveBody, what: string): Promise<void> => {
    setBusy(true);
    setResult(undefined);
    try {
      const { redriven } = await store.api.redrive(body);
      setResult(`${redriven} dead letter${redriven === 1 ? '' : 's'} redriven (${what})`);
      setSelected(new Set());
    } catch (err) {
      store.notify('error', `Redrive failed: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="ol-page" data-testid="dlq-view">
      <div className="ol-card ol-ops-card">
        <div className="ol-ops-head">
          <h1 className="ol-h1">Dead letters</h1>
          <span className="ol-muted" data-testid="dlq-count">
            {items === undefined ? '' : `${items.length}${cursor === null ? '' : '+'} shown`}
          </span>
          <button type="button" className="ol-btn ol-btn-small" onClick={() => void loadFirst()} data-testid="dlq-refresh">
            ↻ Refresh
          </button>
        </div>
        <RedriveBar selected={selected} reason={reason} reasons={reasons} busy={busy} onReason={setReason} onRedrive={(body, what) => void redrive(body, what)} />
        {reasons.length > 1 && <ReasonChips reasons={reasons} reason={reason} onPick={setReason} />}
        {result !== undefined && (
          <div className="ol-ok-box" data-testid="dlq-redrive-result">
            {result}
          </div>
        )}
        {error !== undefined && <div className="ol-error-box">Could not load dead letters: {error}</div>}
        {items === undefined && error === undefined && <div className="ol-empty">Loading dead letters…</div>}
        {items !== undefined && items.length === 0 && <div className="ol-empty">No dead letters: every record was decoded and processed.</div>}
        {items !== undefined && items.length > 0 && <DeadLetterTable items={items} now={now} selected={selected} onSelect={setSelected} />}
        {cursor !== null && items !== undefined && (
          <div className="ol-more">
            <button type="button" className="ol-btn" onClick={() => void loadMore()} data-testid="dlq-more">
              Load more
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

/** Redrive the selected letters, or every letter whose reason contains a text. */
function RedriveBar(props: {
  selected: ReadonlySet<string>;
  reason: string;
  reasons: readonly [string, number][];
  busy: boolean;
  onReason: (reason: string) => void;
  onRedrive: (body: RedriveBody, what: string) => void;
}) {
  const { selected, reason, reasons, busy, onReason, onRedrive } = props;
  return (
    <div className="ol-toolbar ol-dlq-toolbar">
      <button
        type="button"
        className="ol-btn ol-btn-primary"
        disabled={busy || selected.size === 0}
        data-testid="dlq-redrive-selected"
        onClick={() => onRedrive({ ids: [...selected] }, `${selected.size} selected`)}
      >
        ↪ Redrive selected ({selected.size})
      </button>
      <span className="ol-muted">or every letter whose reason contains</span>
      <input
        className="ol-input ol-dlq-reason"
        list="ol-dlq-reasons"
        placeholder="reason text…"
        value={reason}
        onChange={(e) => onReason(e.target.value)}
        data-testid="dlq-reason"
        aria-label="redrive by reason"
      />
      <datalist id="ol-dlq-reasons">
        {reasons.map(([r]) => (
          <option key={r} value={r} />
        ))}
      </datalist>
      <button
        type="button"
        className="ol-btn"
        disabled={busy || reason.trim() === ''}
        data-testid="dlq-redrive-reason"
        onClick={() => onRedrive({ reason: reason.trim() }, `reason contains “${reason.trim()}”`)}
      >
        ↪ Redrive all with this reason
      </button>
    </div>
  );
}

/** The reasons of the letters shown, with their counts: one click picks a reason to redrive by. */
function ReasonChips({ reasons, reason, onPick }: { reasons: readonly [string, number][]; reason: string; onPick: (reason: string) => void }) {
  return (
    <div className="ol-reason-chips" data-testid="dlq-reasons">
      <span className="ol-muted ol-small">By reason:</span>
      {reasons.map(([r, n]) => (
        <button key={r} type="button" className={`ol-chip${reason === r ? ' ol-chip-on' : ''}`} title={r} onClick={() => onPick(r)}>
          {r.length > 60 ? `${r.slice(0, 60)}…` : r} <b>{n}</b>
        </button>
      ))}
    </div>
  );
}

function DeadLetterTable(props: { items: DeadLetterItem[]; now: number; selected: ReadonlySet<string>; onSelect: Dispatch<SetStateAction<ReadonlySet<string>>> }) {
  const { items, now, selected, onSelect } = props;
  const allShown = items.every((i) => selected.has(i.id));
  const toggle = (id: string): void =>
    onSelect((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <table className="ol-table" data-testid="dlq-table">
      <thead>
        <tr>
          <th>
            <input type="checkbox" aria-label="select all shown" checked={allShown} onChange={() => onSelect(allShown ? new Set() : new Set(items.map((i) => i.id)))} />
          </th>
          <th>Reason</th>
          <th>Origin</th>
          <th>Dead-lettered</th>
          <th>Value</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <DeadLetterRow key={item.id} item={item} now={now} selected={selected.has(item.id)} onToggle={() => toggle(item.id)} />
        ))}
      </tbody>
    </table>
  );
}

function DeadLetterRow({ item, now, selected, onToggle }: { item: DeadLetterItem; now: number; selected: boolean; onToggle: () => void }) {
  const value = describeValue(item);
  return (
    <tr data-testid="dlq-row" data-id={item.id} className={selected ? 'ol-tr-on' : undefined}>
      <td>
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`select ${item.id}`} data-testid="dlq-select" />
      </td>
      <td className="ol-dlq-reason-cell">
        <div className="ol-error-text">{item.reason || '(no reason recorded)'}</div>
        <div className="ol-small ol-muted ol-mono">id {item.id}</div>
      </td>
      <td className="ol-small">
        <div className="ol-mono">{item.topic ?? '?'}</div>
        <div className="ol-muted">
          partition {item.partition ?? '?'} · offset {item.offset ?? '?'}
        </div>
        <div className="ol-muted" title={item.key}>
          key <span className="ol-mono">{item.key.length > 40 ? `${item.key.slice(0, 40)}…` : item.key}</span>
        </div>
      </td>
      <td className="ol-small">
        {item.at === null ? (
          <span className="ol-muted">unknown</span>
        ) : (
          <>
            <div>{formatRelative(item.at, now)}</div>
            <div className="ol-muted ol-mono">{formatDateTime(item.at)}</div>
          </>
        )}
      </td>
      <td className="ol-dlq-value">
        <div className="ol-small ol-muted">
          {value.kind === 'json' ? 'JSON' : value.kind === 'empty' ? 'no value' : value.kind === 'utf8' ? 'text (not JSON)' : 'binary (base64)'} · {item.bytes} bytes
        </div>
        <pre className="ol-pre" data-testid="dlq-value">
          {value.text.length > 4000 ? `${value.text.slice(0, 4000)}…` : value.text}
        </pre>
      </td>
    </tr>
  );
}
