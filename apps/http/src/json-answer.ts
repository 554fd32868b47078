import type { Response } from 'express';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * A JSON answer to a POST, as `res.json` writes it (same type, length and body) without the work
 * that only a GET can use: no ETag hashed from the body, no freshness check against the request.
 */
export function answerJson(res: Response, body: unknown): void {
  const text = JSON.stringify(body);
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
