/**
 * Shown when the gateway answers 401: it has API tokens and this UI has none (or a wrong one).
 * The token entered is kept for this browser tab only (sessionStorage), per gateway.
 */
import { useState } from 'react';
import type { FormEvent } from 'react';

const storageKey = (gateway: string): string => `orchestrator-lite:token:${gateway === '' ? window.location.origin : gateway.replace(/\/+$/, '')}`;

/** The token entered earlier in this tab for `gateway`, if any. */
export function storedToken(gateway: string): string | undefined {
  try {
    return window.sessionStorage.getItem(storageKey(gateway)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(gateway: string, token: string): void {
  try {
    window.sessionStorage.setItem(storageKey(gateway), token);
  } catch {
    // storage refused (private mode): the token lasts until the page reloads
  }
}

export function TokenPrompt({ gateway, hadToken, onToken }: { gateway: string; hadToken: boolean; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const token = value.trim();
    if (token === '') return;
    storeToken(gateway, token);
    onToken(token);
  };
  return (
    <form className="ol-page ol-card" data-testid="token-prompt" onSubmit={submit}>
      <div className="ol-card-title">This gateway requires an API token</div>
      <p>{hadToken ? 'The token was not accepted. ' : ''}Enter a token from the gateway&apos;s ORCH_API_TOKENS (a read token to watch, a write token to start and cancel runs). It is kept for this tab only.</p>
      <input type="password" autoComplete="off" aria-label="API token" data-testid="token-input" value={value} onChange={(e) => setValue(e.target.value)} />
      <button type="submit" className="ol-btn ol-btn-primary" data-testid="token-submit">
        Use token
      </button>
    </form>
  );
}
