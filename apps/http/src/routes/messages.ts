import { parseJobUuid } from '@pipelinejobs/core';
import { handleInbound, type InboundRequest, parseInbound, ServiceError } from '@pipelinejobs/service';
import type { Request, Response, Router } from 'express';
import { answerJson } from '../json-answer.js';
import { authenticated, type RouteContext, single } from './context.js';

/**
 * POST /messages and the original's path, /actors/v2/:actorId/messages: every inbound form
 * (JSON event, URL parameters, Agave callback, Tapis notification, delete action), turned into
 * one command by the adapters and handled by the same use case.
 */
export function messageRoutes(router: Router, ctx: RouteContext): void {
  const { services, metrics } = ctx;
  const postMessage = async (req: Request, res: Response) => {
    const command = parseInbound({
      query: req.query,
      body: req.body,
      // jsonBody parsed it with core's parseJson, which refuses nesting past the limit.
      depthChecked: true,
      // Distinct, so that two Idempotency-Key headers are refused rather than joined (copied
      // only when there is one: most events carry none).
      headers:
        req.headers['idempotency-key'] === undefined
          ? req.headers
          : { ...req.headers, 'idempotency-key': req.headersDistinct['idempotency-key'] },
    } as InboundRequest);
    // A refusal is answered only to an authenticated caller, as everything else here (a nonce
    // scoped to the job the URL names may hear why its request was refused).
    const jobUuid = command.kind === 'refusal' ? parseJobUuid(single(req, 'uuid')) : command.jobUuid;
    const principal = await authenticated(ctx, req, jobUuid);
    if (command.kind === 'refusal') {
      const code = command.status === 415 ? 'unsupported_media_type' : 'invalid';
      metrics.events.inc({ event: 'unknown', form: 'unrecognised', result: code });
      throw new ServiceError(code, command.detail, command.errors ? { errors: command.errors } : {}, {
        title: command.title,
      });
    }
    const event = command.kind === 'event' ? command.event : 'delete';
    const form = command.kind === 'event' ? command.form : 'delete';
    try {
      const handled = await handleInbound(services, principal, command);
      if (handled.kind === 'delete') {
        metrics.events.inc({ event, form, result: 'applied' });
        return answerJson(res, handled.result);
      }
      const { outcome, replayed } = handled.result;
      metrics.events.inc({ event, form, result: replayed ? 'replayed' : 'applied' });
      if (replayed) res.set('Idempotent-Replayed', 'true');
      else metrics.transitions.inc({ from: outcome.event.from, to: outcome.event.to });
      answerJson(res, outcome);
    } catch (error) {
      metrics.events.inc({ event, form, result: (error as { code?: string }).code ?? 'error' });
      throw error;
    }
  };
  router.post('/messages', postMessage);
  router.post('/actors/v2/:actorId/messages', postMessage);
}
