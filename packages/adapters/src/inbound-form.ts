import type { InboundCommand, Refusal } from './command.js';
import type { UrlParameters } from './url-parameters.js';

/** What every form sees: the body as parsed, the URL parameters read once, the header key. */
export interface FormInput {
  body: unknown;
  url: UrlParameters;
  /** From the `Idempotency-Key` header; wins over any key the body carries. */
  idempotencyKey?: string;
}

/**
 * One inbound form. The dispatcher asks each registered form in order whether it `recognises`
 * the request; the first that does `parse`s it, into a command or a refusal.
 */
export interface InboundForm {
  /** Short name, for documentation and tests. */
  readonly name: string;
  /** How to send this form, for the refusal of an unrecognised request ("a JSON event {...}"). */
  readonly summary: string;
  recognises(input: FormInput): boolean;
  parse(input: FormInput): InboundCommand | Refusal;
}
