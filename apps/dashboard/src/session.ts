/** sessionStorage only: the credential goes with the browser tab, never to disk for good. */
const KEY = 'pipelinejobs.credentials';

export type Saved = { readonly apiKey: string } | { readonly nonce: string };

export function loadCredentials(storage: Storage = sessionStorage): Saved | undefined {
  const text = storage.getItem(KEY);
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (typeof value.apiKey === 'string' && value.apiKey) return { apiKey: value.apiKey };
    if (typeof value.nonce === 'string' && value.nonce) return { nonce: value.nonce };
  } catch {
    // Not ours: forgotten below.
  }
  storage.removeItem(KEY);
  return undefined;
}

export function saveCredentials(credentials: Saved, storage: Storage = sessionStorage): void {
  storage.setItem(KEY, JSON.stringify(credentials));
}

export function forgetCredentials(storage: Storage = sessionStorage): void {
  storage.removeItem(KEY);
}
