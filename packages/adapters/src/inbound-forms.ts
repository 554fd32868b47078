import { agaveCallbackForm } from './agave-callback-form.js';
import { deleteActionForm } from './delete-action-form.js';
import type { InboundForm } from './inbound-form.js';
import { jsonEventForm } from './json-event-form.js';
import { tapisNotificationForm } from './tapis-notification-form.js';
import { urlParametersForm } from './url-parameters-form.js';

/**
 * The inbound forms, in the order they are tried: the first that recognises a request parses it.
 * The most specific shapes come first, so a request matches one form only (README, "Which form is
 * this request"). A new form is one file and one line here.
 */
export const INBOUND_FORMS: readonly InboundForm[] = [
  tapisNotificationForm,
  deleteActionForm,
  agaveCallbackForm,
  jsonEventForm,
  urlParametersForm,
];
