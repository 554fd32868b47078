import type { ErrorObject } from 'ajv/dist/2020.js';

/** One thing wrong with a document: where (a JSON pointer, "" for the whole document) and what, for a person. */
export interface SchemaIssue {
  path: string;
  message: string;
}

/** A fuzzed megabyte can hold thousands of mistakes; a person reads the first few. */
export const MAX_ISSUES = 50;

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

const FORMAT_WORDS: Readonly<Record<string, string>> = {
  'date-time': 'a date-time (RFC 3339, e.g. 2026-11-20T15:02:41.297Z)',
  uri: 'an absolute URI',
  'uri-reference': 'a URI reference',
  hostname: 'a host name',
};

/**
 * Turns ajv's errors (compiled with allErrors and verbose) into one issue per offending value.
 * A failed anyOf is reported once, naming its alternatives by their titles: the errors of each
 * alternative would only describe why the value is not the three shapes the sender did not mean.
 */
export function readableIssues(
  errors: readonly ErrorObject[],
  patternMessages: ReadonlyMap<string, (value: unknown) => string>,
): SchemaIssue[] {
  const alternatives = errors
    .filter((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf')
    .map((error) => `${error.schemaPath}/`);
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (alternatives.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const issue = issueOf(error, patternMessages);
    // One issue per value: a string that is both too long and off-pattern needs one sentence.
    if (seen.has(issue.path)) continue;
    seen.add(issue.path);
    issues.push(issue);
  }
  if (issues.length > MAX_ISSUES) {
    const more = issues.length - MAX_ISSUES;
    return [
      ...issues.slice(0, MAX_ISSUES),
      { path: '', message: `and ${more} more ${more === 1 ? 'issue' : 'issues'}` },
    ];
  }
  return issues;
}

/** One line for a log or a problem's `detail`: the messages, joined. */
export function issuesSummary(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => issue.message).join('; ');
}

function issueOf(
  error: ErrorObject,
  patternMessages: ReadonlyMap<string, (value: unknown) => string>,
): SchemaIssue {
  const path = error.instancePath;
  const where = path === '' ? 'the document' : path;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const child = `${path}/${escapePointer(String(params.missingProperty))}`;
      return { path: child, message: `${child} is required` };
    }
    case 'additionalProperties': {
      const child = `${path}/${escapePointer(String(params.additionalProperty))}`;
      return { path: child, message: `${child} is not allowed here (additional property)` };
    }
    case 'type': {
      const types = Array.isArray(params.type) ? params.type : String(params.type).split(',');
      const words = types.map((type) => TYPE_WORDS[String(type)] ?? String(type));
      return { path, message: `${where} must be ${words.join(' or ')}` };
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      return { path, message: `${where} must be one of: ${allowed.map(String).join(', ')}` };
    }
    case 'const':
      return { path, message: `${where} must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern': {
      const describe = patternMessages.get(String(params.pattern));
      const message = describe ? describe(error.data) : `must match the pattern ${String(params.pattern)}`;
      return { path, message: `${where} ${message}` };
    }
    case 'format': {
      const format = String(params.format);
      return { path, message: `${where} must be ${FORMAT_WORDS[format] ?? `a valid ${format}`}` };
    }
    case 'minLength':
      return {
        path,
        message:
          params.limit === 1
            ? `${where} must not be empty`
            : `${where} must be at least ${params.limit} characters long`,
      };
    case 'maxLength':
      return { path, message: `${where} must be at most ${params.limit} characters long` };
    case 'minItems':
      return { path, message: `${where} must have at least ${items(params.limit)}` };
    case 'maxItems':
      return { path, message: `${where} must have at most ${items(params.limit)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `${where} must be ${params.comparison} ${params.limit}` };
    case 'anyOf':
    case 'oneOf': {
      const branches = Array.isArray(error.schema) ? (error.schema as unknown[]) : [];
      const titles = branches.map((branch) =>
        typeof branch === 'object' && branch !== null ? (branch as { title?: unknown }).title : undefined,
      );
      const named = titles.every((title) => typeof title === 'string') && titles.length > 0;
      return {
        path,
        message: named
          ? `${where} must be one of: ${titles.join('; ')}`
          : `${where} must match one of the allowed forms`,
      };
    }
    default:
      return { path, message: `${where} ${error.message ?? 'is not valid'}` };
  }
}

function items(count: unknown): string {
  return count === 1 ? '1 item' : `${String(count)} items`;
}

/** RFC 6901: a property name inside a JSON pointer. */
function escapePointer(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
