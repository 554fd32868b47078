import {
  cancelJob,
  countJobsPerState,
  createJob,
  deleteJob,
  dryRunEvent,
  getHistory,
  getJob,
  getJobAudit,
  jobFsmSvg,
  jobUuidInput,
  listJobs,
  parseAuditQuery,
  parseHistoryQuery,
  parseJobsQuery,
  rotateJobToken,
  ServiceError,
  setJobDeadlines,
} from '@pipelinejobs/service';
import type { Request, Router } from 'express';
import { exactBodyOf } from '../body.js';
import { problemOf } from '../problem.js';
import { accepts, authenticated, bodyOrQuery, type RouteContext, requestToken, single } from './context.js';
import { sendPage } from './next-link.js';

export function jobRoutes(router: Router, ctx: RouteContext): void {
  const { services } = ctx;
  /**
   * The job in the path, parsed once (any letter case, lower case from here on), and who asks
   * about it: a nonce or JWT scoped to another job is refused here.
   */
  const onJob = async (req: Request, options?: { consume?: boolean }) => {
    const uuid = jobUuidInput(req.params.uuid);
    return { uuid, principal: await authenticated(ctx, req, uuid, options) };
  };
  router.post('/jobs', accepts(), async (req, res) => {
    const principal = await authenticated(ctx, req);
    const { job, created, token, tokenWithheld } = await createJob(services, principal, req.body, {
      exact: exactBodyOf(req),
    });
    if (created) res.location(`/jobs/${job.uuid}`);
    res
      .status(created ? 201 : 200)
      .json(token === undefined ? { ...job, token_withheld: tokenWithheld } : { ...job, token });
  });
  router.get(
    '/jobs',
    accepts('state', 'pipeline_uuid', 'updated_since', 'overdue', 'limit', 'cursor'),
    async (req, res) => {
      const principal = await authenticated(ctx, req);
      sendPage(req, res, 'cursor', await listJobs(services, principal, parseJobsQuery(req.query)));
    },
  );
  // Before /jobs/:uuid, which would read `counts` as a job uuid.
  router.get('/jobs/counts', accepts('pipeline_uuid', 'updated_since', 'overdue'), async (req, res) => {
    const principal = await authenticated(ctx, req);
    res.json(await countJobsPerState(services, principal, parseJobsQuery(req.query)));
  });
  router.get('/jobs/:uuid', accepts(), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    res.json(await getJob(services, principal, uuid));
  });
  router.get('/jobs/:uuid/history', accepts('after', 'limit'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    sendPage(req, res, 'after', await getHistory(services, principal, uuid, parseHistoryQuery(req.query)));
  });
  router.get('/jobs/:uuid/audit', accepts('after', 'limit'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    sendPage(req, res, 'after', await getJobAudit(services, principal, uuid, parseAuditQuery(req.query)));
  });
  router.get('/jobs/:uuid/fsm.svg', accepts(), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    res.type('image/svg+xml').send(await jobFsmSvg(services, principal, uuid));
  });
  router.delete('/jobs/:uuid', accepts('force', 'token'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    const force = single(req, 'force');
    if (force !== undefined && force !== 'true' && force !== 'false') {
      throw new ServiceError('invalid', "'force' must be true or false");
    }
    res.json(
      await deleteJob(services, principal, {
        jobUuid: uuid,
        force: force === 'true',
        token: requestToken(req),
      }),
    );
  });
  router.put('/jobs/:uuid/deadlines', accepts('token'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    // The body is the budgets document: the admin token comes in the URL only.
    res.json(await setJobDeadlines(services, principal, uuid, req.body, single(req, 'token')));
  });
  router.post('/jobs/:uuid/cancel', accepts('token'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    res.json(await cancelJob(services, principal, uuid, requestToken(req)));
  });
  router.post('/jobs/:uuid/token', accepts('token'), async (req, res) => {
    const { uuid, principal } = await onJob(req);
    const { job, token } = await rotateJobToken(services, principal, uuid, requestToken(req));
    res.json({ ...job, token });
  });
  router.post('/jobs/:uuid/events/dry-run', accepts('event', 'token'), async (req, res) => {
    // A dry run writes nothing: a nonce is checked, not used up.
    const { uuid, principal } = await onJob(req, { consume: false });
    const name = bodyOrQuery(req, 'name', 'event');
    if (name === undefined || name === '') {
      throw new ServiceError('invalid', 'Send the event to try as {"name": "run"} (or ?event=run)');
    }
    const inBody = typeof (req.body as { name?: unknown } | undefined)?.name === 'string';
    const result = await dryRunEvent(services, principal, {
      jobUuid: uuid,
      event: name,
      where: inBody ? '/name' : '/event',
      token: requestToken(req),
    });
    if (result.accepted) return res.json(result);
    // What sending it would have answered: the same status and problem, inside a 200.
    const { refusal, ...rest } = result;
    const problem = problemOf(refusal);
    res.json({
      ...rest,
      status: problem.status,
      reason: problem.detail,
      ...(problem.allowed === undefined ? {} : { allowed: problem.allowed }),
      problem,
    });
  });
}
