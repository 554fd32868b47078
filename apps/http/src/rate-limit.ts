import type { Principal } from '@pipelinejobs/service';
import { ServiceError } from '@pipelinejobs/service';
import type { NextFunction, Request, Response } from 'express';

const WINDOW_MS = 60_000;

/**
 * The IPv6 /64 a client address belongs to: one host usually holds a whole /64, so a budget per
 * full IPv6 address would give it 2^64 budgets. IPv4 (also IPv4-mapped) addresses stay whole.
 */
export function addressBudget(address: string | undefined): string {
  if (address === undefined || address === '') return 'address:unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return `address:${mapped[1]}`;
  if (!address.includes(':')) return `address:${address}`;
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `address:${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Fixed one-minute windows, charged once per request: to the authenticated principal (its kind
 * and id, whatever spelling of the credential was sent), or, for a request without a valid
 * credential (authentication failed, or the request was refused before it), to the client
 * address (`req.ip`, which follows the `trust proxy` setting). In memory: each replica limits
 * its own traffic. The keys are ids and addresses, never credentials, so nothing is hashed.
 */
export function rateLimits(perMinute: number, clock: () => number = Date.now) {
  const windows = new Map<string, { start: number; count: number }>();
  let sweptAt = clock();
  const CHARGED = Symbol('rate limit charged');
  type Charged = Request & { [CHARGED]?: true };

  /** Counts the request against `key`; throws the 429 (with Retry-After set) above the limit. */
  const charge = (req: Request, res: Response, key: string, what: string): void => {
    (req as Charged)[CHARGED] = true;
    const now = clock();
    if (now - sweptAt > WINDOW_MS) {
      for (const [k, w] of windows) if (now - w.start >= WINDOW_MS) windows.delete(k);
      sweptAt = now;
    }
    let window = windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      windows.set(key, window);
    }
    window.count += 1;
    if (window.count > perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      res.set('Retry-After', String(retryAfter));
      throw new ServiceError(
        'rate_limited',
        `More than ${perMinute} requests a minute ${what}; retry in ${retryAfter} s`,
      );
    }
  };
  const charged = (req: Request) => (req as Charged)[CHARGED] === true;

  return {
    /** After authentication succeeded. */
    principal(req: Request, principal: Principal): void {
      if (charged(req) || !req.res) return;
      charge(req, req.res, `${principal.kind}:${principal.id}`, 'with this credential');
    },
    /**
     * Before the body of a request without a bearer credential is read: if its address already
     * spent its budget on failed or refused requests, the 429 comes now, at no further cost.
     */
    guardAddress(req: Request): void {
      if (charged(req) || !req.res) return;
      const window = windows.get(addressBudget(req.ip));
      if (window && clock() - window.start < WINDOW_MS && window.count >= perMinute) {
        charge(req, req.res, addressBudget(req.ip), 'without a valid credential from this address');
      }
    },
    /** After authentication failed. */
    address(req: Request): void {
      if (charged(req) || !req.res) return;
      charge(req, req.res, addressBudget(req.ip), 'without a valid credential from this address');
    },
    /**
     * Error middleware before the error handler: a request refused before it was authenticated
     * (unreadable body, unknown route, malformed parameter) counts against its address too, so
     * refusals are never free; above the limit the refusal becomes the 429.
     */
    refused(error: unknown, req: Request, res: Response, next: NextFunction): void {
      let passed = error;
      if (!charged(req)) {
        try {
          charge(req, res, addressBudget(req.ip), 'without a valid credential from this address');
        } catch (limited) {
          passed = limited;
        }
      }
      next(passed);
    },
  };
}
