import type { ApiKeyRecord, NonceRecord, UnknownRole } from '@pipelinejobs/schemas';
import type { Style } from '../ansi.js';
import { relativeTime } from '../relative-time.js';
import { type Column, renderTable } from '../table.js';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

/**
 * A stored role as shown: its text, marked when this version does not know it (a newer
 * release's, or written by hand), so such a credential can be found and revoked.
 */
const roleShown = (role: string | UnknownRole) =>
  typeof role === 'string' ? role : `${role.unknown} (unknown to this version)`;

/** An API key as the CLI shows it: never the key, which is not stored. */
export function apiKeyDocument(key: ApiKeyRecord) {
  return {
    id: key.id,
    prefix: key.prefix,
    role: roleShown(key.role),
    label: key.label,
    created: iso(key.createdAt),
    last_used: iso(key.lastUsedAt),
    revoked: iso(key.revokedAt),
  };
}

/** A nonce as the CLI shows it: never the nonce, which is not stored. */
export function nonceDocument(nonce: NonceRecord) {
  return {
    id: nonce.id,
    prefix: nonce.prefix,
    role: roleShown(nonce.role),
    label: nonce.label,
    job_uuid: nonce.jobUuid,
    uses: nonce.uses,
    max_uses: nonce.maxUses,
    expires: iso(nonce.expiresAt),
    created: iso(nonce.createdAt),
    revoked: iso(nonce.revokedAt),
  };
}

type ApiKeyDocument = ReturnType<typeof apiKeyDocument>;
type NonceDocument = ReturnType<typeof nonceDocument>;

const ago = (date: string | null) => (date === null ? '-' : relativeTime(date));

const KEY_COLUMNS: Column<ApiKeyDocument>[] = [
  { header: 'ID', cell: (k) => k.id },
  { header: 'PREFIX', cell: (k) => k.prefix, color: () => 'bold' },
  { header: 'ROLE', cell: (k) => k.role },
  {
    header: 'STATUS',
    cell: (k) => (k.revoked ? 'revoked' : 'active'),
    color: (k) => (k.revoked ? 'red' : 'green'),
  },
  { header: 'CREATED', cell: (k) => ago(k.created) },
  { header: 'LAST USED', cell: (k) => (k.last_used === null ? 'never' : ago(k.last_used)) },
  { header: 'LABEL', cell: (k) => k.label },
];

export function apiKeyTable(keys: readonly ApiKeyDocument[], style: Style, width?: number): string {
  return renderTable(keys, KEY_COLUMNS, style, width);
}

function nonceStatus(n: NonceDocument, now: Date): string {
  if (n.revoked) return 'revoked';
  if (n.expires !== null && new Date(n.expires) <= now) return 'expired';
  if (n.max_uses !== null && n.uses >= n.max_uses) return 'used up';
  return 'active';
}

export function nonceTable(
  nonces: readonly NonceDocument[],
  style: Style,
  width?: number,
  now = new Date(),
): string {
  const columns: Column<NonceDocument>[] = [
    { header: 'ID', cell: (n) => n.id },
    { header: 'PREFIX', cell: (n) => n.prefix, color: () => 'bold' },
    { header: 'ROLE', cell: (n) => n.role },
    {
      header: 'STATUS',
      cell: (n) => nonceStatus(n, now),
      color: (n) => (nonceStatus(n, now) === 'active' ? 'green' : 'red'),
    },
    { header: 'USES', cell: (n) => `${n.uses}/${n.max_uses ?? '∞'}`, align: 'right' },
    { header: 'EXPIRES', cell: (n) => (n.expires === null ? 'never' : relativeTime(n.expires, now)) },
    { header: 'JOB', cell: (n) => n.job_uuid ?? 'any' },
    { header: 'LABEL', cell: (n) => n.label },
  ];
  return renderTable(nonces, columns, style, width);
}
