import { asciiLower, isPlainObject } from '@pipelinejobs/core';
import { issuesSummary, validateDeleteJob } from '@pipelinejobs/schemas';
import type { DeleteCommand, Refusal } from './command.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { bodyJobUuid } from './job-uuid.js';
import { isRefusal, refusal } from './refusal.js';
import { agreeing } from './url-conflict.js';

/** The delete action `{uuid, action: "delete", force?, token?}`: hide a job, or remove it with force. */
export const deleteActionForm: InboundForm = {
  name: 'delete',
  summary: 'a delete action {uuid, action: "delete", force?, token}',

  recognises({ body }) {
    return isPlainObject(body) && body.action === 'delete';
  },

  parse(input: FormInput): DeleteCommand | Refusal {
    const checked = validateDeleteJob(input.body);
    if (!checked.ok) {
      return refusal(
        'Invalid delete action',
        `The delete action does not match its schema: ${issuesSummary(checked.issues)}. Send {uuid: <job UUID 107...>, action: "delete", force?: true|false, token: <admin token>}.`,
        checked.issues,
      );
    }
    const { uuid, force, token } = checked.value;
    const named = agreeing(uuid, input.url.uuid, '/uuid', 'uuid', asciiLower);
    if (isRefusal(named)) return named;
    const jobUuid = bodyJobUuid(uuid);
    if (isRefusal(jobUuid)) return jobUuid;
    const effectiveToken = agreeing(token, input.url.token, '/token', 'token');
    if (isRefusal(effectiveToken)) return effectiveToken;
    const command: DeleteCommand = { kind: 'delete', jobUuid, force: force ?? false };
    if (effectiveToken !== undefined) command.token = effectiveToken;
    return command;
  },
};
