import { isPlainObject, MAX_JSON_DEPTH } from '@pipelinejobs/core';
import type { InboundCommand, InboundRequest, Refusal } from './command.js';
import { readIdempotencyKey } from './idempotency-key.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { INBOUND_FORMS } from './inbound-forms.js';
import { exceedsJsonDepth } from './json-depth.js';
import { refusal } from './refusal.js';
import { readUrlParameters, type UrlParameters } from './url-parameters.js';

/**
 * Turns an inbound request into one command, or a refusal that says what was wrong and how to fix
 * it. Pure and total: it never throws, reads no environment and does no I/O. Tokens are passed
 * through unchecked (auth decides, so a wrong token becomes a 403, not a 400).
 */
export function parseInbound(
  request: InboundRequest,
  forms: readonly InboundForm[] = INBOUND_FORMS,
): InboundCommand | Refusal {
  const { body } = request;
  if (!isJsonValue(body)) {
    return refusal(
      'Unsupported body',
      'The body is not JSON: send a JSON object (Content-Type: application/json), or no body.',
      undefined,
      415,
    );
  }
  if (request.depthChecked !== true && exceedsJsonDepth(body)) {
    return refusal(
      'Body too deeply nested',
      `The body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep: flatten it.`,
    );
  }
  const url = readUrlParameters(request.query);
  if ('kind' in url) return url;
  const idempotencyKey = readIdempotencyKey(request.headers);
  if (typeof idempotencyKey === 'object') return idempotencyKey;

  const input: FormInput = { body, url };
  if (idempotencyKey !== undefined) input.idempotencyKey = idempotencyKey;
  const form = forms.find((candidate) => candidate.recognises(input));
  return form === undefined ? unrecognised(url, forms) : form.parse(input);
}

/** A value JSON.parse could have produced at the top: not a Buffer, a Map, a function... */
function isJsonValue(value: unknown): boolean {
  if (value === undefined || value === null || Array.isArray(value)) return true;
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return true;
  if (type === 'number') return Number.isFinite(value);
  return isPlainObject(value);
}

/** Says what is missing when that is clear, and always how to send each accepted form. */
function unrecognised(url: UrlParameters, forms: readonly InboundForm[]): Refusal {
  const accepted = acceptedForms(forms);
  if (url.uuid === undefined && (url.event !== undefined || url.status !== undefined)) {
    return refusal(
      'Missing job UUID',
      `The URL names an event but no job: add ?uuid=<job UUID 107...>. ${accepted}`,
      [{ path: '/uuid', message: '/uuid is required' }],
    );
  }
  if (url.uuid !== undefined) {
    return refusal(
      'Missing event',
      `The URL names a job but no event, and the body is none of the accepted forms: add ?event=<name> (or ?status=<job status>). ${accepted}`,
      [{ path: '/event', message: '/event is required' }],
    );
  }
  return refusal('Unrecognised request', `The request is none of the accepted forms. ${accepted}`);
}

/** "Send a ..., a ... or a ...": one clause per registered form, in their order. */
export function acceptedForms(forms: readonly InboundForm[] = INBOUND_FORMS): string {
  const clauses = forms.map((form) => form.summary);
  const last = clauses.pop();
  if (last === undefined) return '';
  return clauses.length === 0 ? `Send ${last}.` : `Send ${clauses.join('; ')}; or ${last}.`;
}
