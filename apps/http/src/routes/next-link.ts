import type { Request, Response } from 'express';

/** Parameters never repeated in a Link: credentials belong to the caller, not to the header. */
const CREDENTIALS = ['x-nonce', 'token'];

/**
 * `Link: <...>; rel="next"` (RFC 8288) beside a page's `next`: the same path and filters with
 * `param` set to the next value, so a client can follow pages without building URLs. A
 * credential sent in the query is left out; the caller sends it again.
 */
export function setNextLink(req: Request, res: Response, param: string, next: string | number | null): void {
  if (next === null) return;
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  for (const name of [param, ...CREDENTIALS]) query.delete(name);
  query.set(param, String(next));
  res.set('Link', `<${req.baseUrl}${req.path}?${query.toString()}>; rel="next"`);
}
