import { ServiceError } from '@pipelinejobs/service';
import type { Response, Router } from 'express';
import { PROBLEM_TYPES, PROBLEMS_PATH, type ProblemCode, problemCodeOf, problemSlug } from '../problem.js';

const html = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/`([^`]+)`/g, '<code>$1</code>');

function page(res: Response, title: string, body: string): void {
  // Static text: any cache may keep it; no script, no style from elsewhere.
  res
    .set('Cache-Control', 'public, max-age=3600')
    .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${html(title)} - PipelineJobs Manager</title>` +
        '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em}code{background:#f2f2f2;padding:0 .2em}</style>' +
        `</head><body>\n${body}\n</body></html>\n`,
    );
}

/**
 * The pages problem documents' `type` points at: what each problem means and what to do, for a
 * person who follows the link (RFC 9457 §3.1.1). No credential needed: they describe, never
 * reveal.
 */
export function problemRoutes(router: Router): void {
  router.get('/problems', (_req, res) => {
    const rows = (Object.keys(PROBLEM_TYPES) as ProblemCode[])
      .sort((a, b) => PROBLEM_TYPES[a].status - PROBLEM_TYPES[b].status || a.localeCompare(b))
      .map((code) => {
        const { status, title } = PROBLEM_TYPES[code];
        return `<li><a href="${PROBLEMS_PATH}${problemSlug(code)}">${status} ${html(title)}</a> (<code>${problemSlug(code)}</code>)</li>`;
      });
    page(res, 'Problem types', `<h1>Problem types</h1>\n<ul>\n${rows.join('\n')}\n</ul>`);
  });
  router.get('/problems/:slug', (req, res) => {
    const code = problemCodeOf(String(req.params.slug));
    if (code === undefined) {
      throw new ServiceError(
        'not_found',
        `No problem type '${String(req.params.slug).slice(0, 64)}'; see /problems`,
      );
    }
    const { status, title, about } = PROBLEM_TYPES[code];
    page(
      res,
      title,
      `<h1>${html(title)}</h1>\n<p>HTTP status ${status}; problem type <code>${PROBLEMS_PATH}${problemSlug(code)}</code></p>\n` +
        `<p>${html(about)}</p>\n<p>Every problem document also has <code>detail</code> (this occurrence), <code>instance</code> and <code>request_id</code> (also the X-Request-Id header), by which the operator finds it in the log.</p>\n` +
        `<p><a href="${PROBLEMS_PATH.slice(0, -1)}">All problem types</a></p>`,
    );
  });
}
