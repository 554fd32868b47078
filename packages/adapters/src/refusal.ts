import type { Refusal } from './command.js';

/** Builds a refusal; `errors` is left out when there are none. */
export function refusal(
  title: string,
  detail: string,
  errors?: readonly { path: string; message: string }[],
  status: Refusal['status'] = 400,
): Refusal {
  const problem: Refusal = { kind: 'refusal', status, title, detail };
  if (errors !== undefined && errors.length > 0) {
    problem.errors = errors.map(({ path, message }) => ({ path, message }));
  }
  return problem;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'refusal';
}
