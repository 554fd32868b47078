import { createHash } from 'node:crypto';

/** JSON with every object's keys sorted, so two requests that mean the same hash the same. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/**
 * What an idempotency key is bound to: a hash of what the request asks (the inbound form, the
 * event and its data, which holds the note and the reported status). The credential and token
 * are not part of it: a retry is the same request whoever is allowed to send it.
 */
export function requestFingerprint(request: { form: string; event: string; data: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ form: request.form, event: request.event, data: request.data }))
    .digest('base64url');
}
