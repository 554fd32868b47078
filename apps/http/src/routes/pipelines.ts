import {
  getPipeline,
  listPipelines,
  parsePipelinesQuery,
  pipelineUuidInput,
  registerPipeline,
} from '@pipelinejobs/service';
import type { Router } from 'express';
import { authenticated, type RouteContext } from './context.js';
import { sendPage } from './next-link.js';

export function pipelineRoutes(router: Router, ctx: RouteContext): void {
  const { services } = ctx;
  router.post('/pipelines', async (req, res) => {
    const principal = await authenticated(ctx, req);
    const { pipeline, created } = await registerPipeline(services, principal, req.body);
    if (created) res.location(`/pipelines/${pipeline.uuid}`);
    res.status(created ? 201 : 200).json(pipeline);
  });
  router.get('/pipelines', async (req, res) => {
    const principal = await authenticated(ctx, req);
    sendPage(req, res, 'cursor', await listPipelines(services, principal, parsePipelinesQuery(req.query)));
  });
  router.get('/pipelines/:uuid', async (req, res) => {
    const uuid = pipelineUuidInput(req.params.uuid);
    const principal = await authenticated(ctx, req);
    res.json(await getPipeline(services, principal, uuid));
  });
}
