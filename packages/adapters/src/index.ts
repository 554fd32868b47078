export type { EventCommand, InboundCommand, InboundRequest } from './command.js';
export { parseEventName } from './event-name.js';
export type { InboundForm } from './inbound-form.js';
export { INBOUND_FORMS } from './inbound-forms.js';
export { acceptedForms, parseInbound } from './parse-inbound.js';
export { REDACTED, redactUrlSecrets } from './redact-url-secrets.js';
export { isRefusal } from './refusal.js';
