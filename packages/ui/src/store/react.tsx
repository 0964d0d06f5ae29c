/**
 * React bindings of the store: a context, a selector hook on useSyncExternalStore, and a ticking
 * clock for countdowns (a timer for the display only; no data is ever polled).
 */
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { ReactNode } from 'react';
import type { OrchestratorStore, StoreState } from './store.ts';

const StoreContext = createContext<OrchestratorStore | null>(null);

export function StoreProvider({ store, children }: { store: OrchestratorStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/** The store, or null outside a <StoreProvider>. */
export function useOptionalOrchestrator(): OrchestratorStore | null {
  return useContext(StoreContext);
}

export function useOrchestrator(): OrchestratorStore {
  const store = useContext(StoreContext);
  if (store === null) throw new Error('useOrchestrator: no <StoreProvider> above this component');
  return store;
}

export function useStore<T>(select: (s: StoreState) => T): T {
  const store = useOrchestrator();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** The current time, refreshed every `intervalMs` while `active`. */
export function useNow(intervalMs = 250, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs, active]);
  return now;
}
