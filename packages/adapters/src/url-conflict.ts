import type { Refusal } from './command.js';
import { normalStatus } from './event-status.js';
import { refusal } from './refusal.js';

/**
 * The refusal for a field the body and the URL both carry with different values: neither is
 * chosen silently. Values are never echoed (one of them may be a token).
 */
function conflictRefusal(bodyPath: string, urlName: string): Refusal {
  // The one header that can disagree with the body is the idempotency key.
  const header = urlName === 'idempotency-key';
  const where = header ? 'the Idempotency-Key header' : `the URL parameter ${urlName}`;
  const otherPath = header ? '/headers/idempotency-key' : `/url/${urlName}`;
  return refusal(
    header ? 'Body and header disagree' : 'Body and URL disagree',
    `The body's ${bodyPath.slice(1)} and ${where} differ: send the field in one place, or the same value in both.`,
    [
      { path: bodyPath, message: `${bodyPath} differs from ${where}` },
      { path: otherPath, message: `${otherPath} differs from the body's ${bodyPath}` },
    ],
  );
}

/**
 * A body field and its URL counterpart, as one value: whichever is given, or a conflict when both
 * are and differ (compared after `normal`, e.g. lower case for UUIDs and event names).
 */
export function agreeing(
  body: string | undefined,
  url: string | undefined,
  bodyPath: string,
  urlName: string,
  normal: (value: string) => string = (value) => value,
): string | undefined | Refusal {
  if (body !== undefined && url !== undefined && normal(body) !== normal(url)) {
    return conflictRefusal(bodyPath, urlName);
  }
  return body ?? url;
}

/**
 * Event data with the URL's `status` and `note` added: a key the data already has with another
 * value is a conflict, not overwritten.
 */
export function withUrlFields(
  data: Record<string, unknown>,
  fields: { status?: string | undefined; note?: string | undefined },
  dataPath: string,
): Record<string, unknown> | Refusal {
  const merged = { ...data };
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Object.hasOwn(merged, name) && merged[name] !== value) {
      // A status is compared as the platforms spell it: upper case, trimmed.
      const given = merged[name];
      const same =
        name === 'status' && typeof given === 'string' && normalStatus(given) === normalStatus(value);
      if (!same) return conflictRefusal(`${dataPath}/${name}`, name);
    }
    if (!Object.hasOwn(merged, name)) merged[name] = value;
  }
  return merged;
}
