import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { distDir } from '@pipelinejobs/dashboard';
import { ServiceError } from '@pipelinejobs/service';
import express, { type RequestHandler, type Router } from 'express';

/** The dashboard's pages: its own scripts, styles and images and nothing from anywhere else. */
const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Vite names what it emits under assets/ by a hash of its content: a cache may keep it for ever. */
const HASHED = /^\/assets\//;

/**
 * The dashboard (apps/dashboard's build) at /ui: its static files with no credential (the page
 * signs in itself, against the API), hashed assets cached for a year, index.html never, and every
 * other path under /ui answered with index.html so that a deep link opens its page. When the
 * package was not built, a 503 problem says how to build it.
 */
export function dashboardRoutes(dir: string = distDir): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', DASHBOARD_CSP);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      fallthrough: true,
      setHeaders(res, path) {
        const rel = path.slice(dir.length).replaceAll('\\', '/');
        res.setHeader(
          'Cache-Control',
          HASHED.test(rel.startsWith('/') ? rel : `/${rel}`)
            ? 'public, max-age=31536000, immutable'
            : 'no-store',
        );
      },
    }),
  );
  const page: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // A missing asset is a 404, not the page: a stale index.html would otherwise load HTML as a script.
    if (HASHED.test(req.path)) return next();
    if (!existsSync(index)) {
      return next(
        new ServiceError(
          'unavailable',
          'The dashboard is not built: run `pnpm build` (it builds apps/dashboard into apps/dashboard/dist), then reload',
        ),
      );
    }
    res.set('Cache-Control', 'no-store');
    res.sendFile(index);
  };
  router.use(page);
  return router;
}
