/**
 * Callback URLs for the platforms that run a job: they post to the Manager's URL-parameter form,
 * `/messages?uuid=<job>&token=<job token>[&x-nonce=<nonce>]`, which needs no header (a platform
 * cannot send one): the nonce authenticates, the job token authorises the event.
 */

export interface CallbackTarget {
  /** The Manager's base URL as the platform reaches it. */
  readonly managerUrl: URL;
  readonly uuid: string;
  readonly token: string;
  /** A nonce for this job (`pipelinejobs nonces create`): the credential of the platform's posts. */
  readonly nonce?: string | undefined;
  readonly session?: string | undefined;
}

/** The macro Agave v2 replaces with the job's status when it posts a notification. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Agave's macro, sent literally.
export const AGAVE_JOB_STATUS = '${JOB_STATUS}';

export function callbackUrl(target: CallbackTarget, options: { status?: string } = {}): string {
  const url = new URL('messages', target.managerUrl);
  url.searchParams.set('uuid', target.uuid);
  url.searchParams.set('token', target.token);
  if (target.nonce !== undefined) url.searchParams.set('x-nonce', target.nonce);
  if (target.session !== undefined) url.searchParams.set('session', target.session);
  // Appended by hand: Agave's macro must arrive as `${JOB_STATUS}`, not percent-encoded.
  return options.status === undefined ? url.href : `${url.href}&status=${options.status}`;
}

export interface AgaveNotification {
  readonly event: 'RUNNING' | 'FINISHED' | 'FAILED';
  readonly persistent: boolean;
  readonly url: string;
}

/**
 * The original's three Agave v2 notification presets: every status from RUNNING on (persistent),
 * FINISHED, and FAILED; each posts to the job's callback URL with its status.
 */
export function agaveNotifications(target: CallbackTarget): AgaveNotification[] {
  return [
    { event: 'RUNNING', persistent: true, url: callbackUrl(target, { status: AGAVE_JOB_STATUS }) },
    { event: 'FINISHED', persistent: false, url: callbackUrl(target, { status: 'FINISHED' }) },
    { event: 'FAILED', persistent: false, url: callbackUrl(target, { status: AGAVE_JOB_STATUS }) },
  ];
}

export interface TapisSubscription {
  readonly description: string;
  readonly enabled: boolean;
  readonly ttlMinutes: number;
  readonly eventCategoryFilter: 'JOB_NEW_STATUS';
  readonly deliveryTargets: readonly { deliveryMethod: 'WEBHOOK'; deliveryAddress: string }[];
}

/** Tapis' longest subscription lifetime (4 weeks): a longer job would go silent. */
const TAPIS_MAX_TTL_MINUTES = 40_320;

/**
 * The `subscriptions` block of a Tapis v3 job submission that delivers every status change of the
 * job to the Manager (the notification's body carries the status and an `eventUuid`, which makes
 * redeliveries idempotent).
 */
export function tapisSubscriptions(target: CallbackTarget): TapisSubscription[] {
  return [
    {
      description: `PipelineJobs Manager: job ${target.uuid}`,
      enabled: true,
      ttlMinutes: TAPIS_MAX_TTL_MINUTES,
      eventCategoryFilter: 'JOB_NEW_STATUS',
      deliveryTargets: [{ deliveryMethod: 'WEBHOOK', deliveryAddress: callbackUrl(target) }],
    },
  ];
}
