import { asciiLower, isPlainObject } from '@pipelinejobs/core';
import { issuesSummary, validateDeleteJob } from '@pipelinejobs/schemas';
import type { DeleteCommand, Refusal } from './command.js';
import type { FormInput, InboundForm } from './inbound-form.js';
import { bodyJobUuid } from './job-uuid.js';
import { isRefusal, refusal } from './refusal.js';
import { agreeing } from './url-conflict.js';

/** URL parameters the adapters read that a delete action has no use for. */
const NOT_READ = ['event', 'status', 'note', 'force'] as const;

/** The delete action `{uuid, action: "delete", force?, token?}`: hide a job, or remove it with force. */
export const deleteActionForm: InboundForm = {
  name: 'delete',
  summary: 'a delete action {uuid, action: "delete", force?, token}',

  recognises({ body }) {
    return isPlainObject(body) && body.action === 'delete';
  },

  parse(input: FormInput): DeleteCommand | Refusal {
    // A delete reads uuid and token from the URL; any other parameter an event would read
    // (`?force=true` above all, which would otherwise delete without force) is refused, not ignored.
    const ignored = NOT_READ.filter((name) => input.url[name] !== undefined);
    if (ignored.length > 0) {
      return refusal(
        'URL parameter not accepted',
        `The delete action does not take the URL parameter${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')}: it reads only uuid and token from the URL; send force in the body ({"force": true}).`,
        ignored.map((name) => ({
          path: `/url/${name}`,
          message: `/url/${name} is not read by the delete action`,
        })),
      );
    }
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
