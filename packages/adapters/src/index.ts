export { agaveCallbackForm } from './agave-callback-form.js';
export type {
  DeleteCommand,
  EventCommand,
  EventForm,
  InboundCommand,
  InboundRequest,
  Refusal,
} from './command.js';
export { deleteActionForm } from './delete-action-form.js';
export { parseEventName } from './event-name.js';
export { MAX_IDEMPOTENCY_KEY_LENGTH } from './idempotency-key.js';
export type { FormInput, InboundForm } from './inbound-form.js';
export { INBOUND_FORMS } from './inbound-forms.js';
export { jsonEventForm } from './json-event-form.js';
export { acceptedForms, parseInbound } from './parse-inbound.js';
export { REDACTED, redactUrlSecrets } from './redact-url-secrets.js';
export { isRefusal } from './refusal.js';
export { tapisNotificationForm } from './tapis-notification-form.js';
export type { UrlParameters } from './url-parameters.js';
export { urlParametersForm } from './url-parameters-form.js';
