import type { JsonObject } from './json-object.js';

/** schemas/event.json: a JSON event message posted to /messages. */
export interface EventMessage {
  /** Job UUID (107...). */
  uuid: string;
  /** Event name in any letter case, as sent: normalise with core's normalizeEventName(). Never `create`. */
  name: string;
  /** Job or admin token, 16 lower-case hex characters; may come as the `token` URL parameter instead. */
  token?: string;
  data?: JsonObject;
  /** Idempotency key, 1 to 200 characters. */
  event_id?: string;
}
