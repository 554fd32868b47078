import { looksLikeApiKey, looksLikeNonce } from '@pipelinejobs/auth';
import { ServiceError } from './errors.js';

/** A JSON pointer's escaping of one key (RFC 6901). */
const escaped = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');

/** Where in `value` the first string `isCredential` accepts sits, as a JSON pointer below `at`. */
function findCredential(
  value: unknown,
  at: string,
  isCredential: (text: string) => boolean,
): string | undefined {
  if (typeof value === 'string') return isCredential(value) ? at : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value);
  for (const [key, item] of entries) {
    const found = findCredential(item, `${at}/${escaped(key)}`, isCredential);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Refuses a document that would store a credential as data: an API key or nonce of this server's
 * shape, or one of `tokens` (the request's job or admin token, the job's current token), anywhere
 * in it. History and job data are read by every reader key, so a token stored there is a token
 * given away. The refusal names the JSON pointer, never the value.
 */
export function refuseCredentialInData(data: unknown, where: string, tokens: readonly string[] = []): void {
  const pointer = findCredential(
    data,
    where,
    (text) => tokens.includes(text) || looksLikeApiKey(text) || looksLikeNonce(text),
  );
  if (pointer === undefined) return;
  throw new ServiceError(
    'invalid',
    `${pointer} holds a credential (a token, API key or nonce), which would be stored for every reader to see: send a token as the request's \`token\` (or ?token=), never in the data`,
    { errors: [{ path: pointer, message: `${pointer} must not hold a credential` }] },
    { title: 'Credential in data' },
  );
}
