import { createHash } from 'node:crypto';
import { ServiceError } from '@pipelinejobs/service';
import type { NextFunction, Request, Response } from 'express';

/**
 * Fixed one-minute windows per credential (the Authorization header or the nonce; the client
 * address when there is neither). In memory: each replica limits its own traffic.
 */
export function rateLimit(perMinute: number, clock: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>();
  let sweptAt = clock();
  return (req: Request, res: Response, next: NextFunction) => {
    const now = clock();
    if (now - sweptAt > 60_000) {
      for (const [key, w] of windows) if (now - w.start >= 60_000) windows.delete(key);
      sweptAt = now;
    }
    const credential = req.headers.authorization ?? (req.query['x-nonce'] as string | undefined);
    // Hashed so the map never holds a credential.
    const key = credential
      ? createHash('sha256').update(String(credential)).digest('base64url')
      : `ip:${req.socket.remoteAddress}`;
    let window = windows.get(key);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + 60_000 - now) / 1000));
      res.set('Retry-After', String(retryAfter));
      return next(
        new ServiceError(
          'rate_limited',
          `More than ${perMinute} requests a minute with this credential; retry in ${retryAfter} s`,
        ),
      );
    }
    next();
  };
}
