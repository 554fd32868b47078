/** The `event` of a Tapis v3 notification (docs/reference.md#tapis-v3-job-notification). Fields added by newer Tapis releases pass through. */
export interface TapisJobEvent {
  source: string;
  /** `jobs.<category>.<detail>`, e.g. `jobs.JOB_NEW_STATUS.RUNNING`. */
  type: string;
  /** The Tapis job UUID (ends in -007). */
  subject: string;
  /** A JSON text: parse it a second time. */
  data: string | null;
  seriesId: string;
  timestamp: string;
  seriesSeqCount?: number;
  deleteSubscriptionsMatchingSubject?: boolean;
  endSeries?: boolean;
  tenant?: string;
  user?: string;
  received?: string;
  uuid?: string;
  [key: string]: unknown;
}

/** schemas/tapis-job-notification.json: the body Tapis v3 posts to a WEBHOOK delivery target. */
export interface TapisJobNotification {
  /** Notification id: differs between two subscriptions delivering the same event. */
  uuid: string;
  tenant: string;
  subscriptionName: string;
  /** Event id, the same in every delivery of the event: the idempotency key. */
  eventUuid: string;
  event: TapisJobEvent;
  /** `deliveryAddress` repeats the URL, token included: redact it before storing or logging. */
  deliveryTarget: { deliveryMethod: string; deliveryAddress: string; [key: string]: unknown };
  created: string;
  [key: string]: unknown;
}
