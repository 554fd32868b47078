import type { Request, Response } from 'express';

/** Parameters never repeated in a Link: credentials belong to the caller, not to the header. */
const CREDENTIALS = ['x-nonce', 'token'];

/**
 * Sends a page with `Link: <...>; rel="next"` (RFC 8288) beside its `next`: the same path and
 * filters with `param` set to the next value, so a client can follow pages without building
 * URLs. A credential sent in the query is left out; the caller sends it again.
 */
export function sendPage(
  req: Request,
  res: Response,
  param: string,
  page: { next: string | number | null },
): void {
  const { next } = page;
  if (next !== null) res.set('Link', nextLink(req, param, next));
  res.json(page);
}

function nextLink(req: Request, param: string, next: string | number): string {
  const query = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
  for (const name of [param, ...CREDENTIALS]) query.delete(name);
  query.set(param, String(next));
  return `<${req.baseUrl}${req.path}?${query.toString()}>; rel="next"`;
}
