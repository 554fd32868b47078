import type { EventName, State } from '@pipelinejobs/core';
import type { ProblemDocument } from '@pipelinejobs/schemas';

/** Where the Manager's problem types live: `type` is `/problems/<slug>`. */
const PROBLEM_TYPE_PREFIX = '/problems/';

/**
 * Every refusal of the Manager, and every answer that is not what was asked for: the RFC 9457
 * problem document's fields, read once. `code` is the problem type's slug in snake case
 * (`/problems/not-allowed` -> `not_allowed`), the value to branch on.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  readonly status: number;
  /** A URI reference: `/problems/<slug>` for the Manager's own, `about:blank` otherwise. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly code: string;
  readonly instance: string | undefined;
  /** Each offending JSON pointer and what is wrong there (400). */
  readonly errors: readonly { path: string; message: string }[];
  /** On a 409 `not_allowed`: the job's state and the events it would accept. */
  readonly state: State | undefined;
  readonly allowed: readonly EventName[] | undefined;
  /** The Allow header of a 405. */
  readonly allow: string | undefined;
  /** The operator finds the request in the Manager's log by it. */
  readonly requestId: string | undefined;
  /** The whole document, extension members included. */
  readonly problem: Readonly<ProblemDocument>;

  constructor(problem: ProblemDocument, options: { allow?: string | undefined; cause?: unknown } = {}) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`, { cause: options.cause });
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.code = problem.type.startsWith(PROBLEM_TYPE_PREFIX)
      ? problem.type.slice(PROBLEM_TYPE_PREFIX.length).replaceAll('-', '_')
      : 'unknown';
    this.instance = problem.instance;
    this.errors = problem.errors ?? [];
    this.state = problem.state;
    this.allowed = problem.allowed;
    this.allow = options.allow;
    this.requestId = problem.request_id;
  }
}

const isProblem = (value: unknown): value is ProblemDocument =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as ProblemDocument).type === 'string' &&
  typeof (value as ProblemDocument).status === 'number' &&
  typeof (value as ProblemDocument).detail === 'string';

/** The error of an answer that is not 2xx: its problem document, or one made from what came. */
export async function problemOfResponse(response: Response): Promise<ProblemError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const allow = response.headers.get('allow') ?? undefined;
  if (isProblem(body)) return new ProblemError({ ...body, title: body.title ?? '' }, { allow });
  // Not the Manager's (a proxy's page, say): the status and the start of what it said.
  return new ProblemError(
    {
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      detail: text.slice(0, 500) || `HTTP ${response.status} with no problem document`,
    },
    { allow },
  );
}
