import type { AgaveJobCallback } from './documents/agave-job-callback.js';
import type { CreateJobRequest } from './documents/create-job-request.js';
import type { DeadlinesRequest } from './documents/deadlines-request.js';
import type { DeleteJobRequest } from './documents/delete-job-request.js';
import type { EventMessage } from './documents/event-message.js';
import type { HistoryEvent } from './documents/history-event.js';
import type { JobDocument } from './documents/job-document.js';
import type { MessageResponse } from './documents/message-response.js';
import type { PipelineDocument } from './documents/pipeline-document.js';
import type { ProblemDocument } from './documents/problem-document.js';
import type { SubscriptionRequest } from './documents/subscription-request.js';
import type { TapisJobNotification } from './documents/tapis-job-notification.js';
import type { WebhookNotification } from './documents/webhook-notification.js';

/** The TypeScript type of the document each schema describes. */
export interface SchemaDocuments {
  event: EventMessage;
  'agave-job-callback': AgaveJobCallback;
  'tapis-job-notification': TapisJobNotification;
  'create-job': CreateJobRequest;
  'delete-job': DeleteJobRequest;
  pipeline: PipelineDocument;
  job: JobDocument;
  'history-event': HistoryEvent;
  problem: ProblemDocument;
  'message-response': MessageResponse;
  subscription: SubscriptionRequest;
  'webhook-notification': WebhookNotification;
  deadlines: DeadlinesRequest;
}
