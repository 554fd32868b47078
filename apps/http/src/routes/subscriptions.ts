import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listDeliveries,
  listSubscriptions,
  redeliverNotification,
  replaySubscription,
  subscriptionIdInput,
  updateSubscription,
} from '@pipelinejobs/service';
import type { Router } from 'express';
import { authenticated, type RouteContext } from './context.js';
import { sendPage } from './next-link.js';

/** Outbound notification subscriptions (admin): CRUD, the delivery log, replay and redeliver. */
export function subscriptionRoutes(router: Router, ctx: RouteContext): void {
  const { services } = ctx;
  router.post('/subscriptions', async (req, res) => {
    const principal = await authenticated(ctx, req);
    const { subscription, secret } = await createSubscription(services, principal, req.body);
    res.location(`/subscriptions/${subscription.id}`);
    res.status(201).json({ ...subscription, secret });
  });
  router.get('/subscriptions', async (req, res) => {
    const principal = await authenticated(ctx, req);
    res.json({ subscriptions: await listSubscriptions(services, principal) });
  });
  router.get('/subscriptions/:id', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    res.json(await getSubscription(services, principal, id));
  });
  router.patch('/subscriptions/:id', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    const { subscription, secret } = await updateSubscription(services, principal, id, req.body);
    res.json(secret === undefined ? subscription : { ...subscription, secret });
  });
  router.delete('/subscriptions/:id', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    await deleteSubscription(services, principal, id);
    res.status(204).end();
  });
  router.get('/subscriptions/:id/deliveries', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    sendPage(req, res, 'before', await listDeliveries(services, principal, id, req.query));
  });
  router.post('/subscriptions/:id/replay', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    res.status(202).json(await replaySubscription(services, principal, id, req.body));
  });
  router.post('/subscriptions/:id/redeliver', async (req, res) => {
    const id = subscriptionIdInput(req.params.id);
    const principal = await authenticated(ctx, req);
    res.status(202).json(await redeliverNotification(services, principal, id, req.body));
  });
}
