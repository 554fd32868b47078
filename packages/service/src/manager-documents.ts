import type { Principal } from '@pipelinejobs/auth';
import { fsmToJson } from '@pipelinejobs/core';
import { requireRole } from './authentication.js';
import { fsmSvg } from './fsm-svg.js';

/**
 * The documents about the Manager itself that need a reader's credential: the state machine and
 * the metrics. The role check is here, as for every use case, so no app decides it on its own.
 */

/** The state machine as data (states, events, transitions), from core's table. */
export function readFsm(principal: Principal): ReturnType<typeof fsmToJson> {
  requireRole(principal, 'read', 'read the state machine');
  return fsmToJson();
}

/** The state machine drawn as SVG. */
export async function readFsmSvg(principal: Principal): Promise<string> {
  requireRole(principal, 'read', 'read the state machine');
  return fsmSvg();
}

/** Refuses a principal who may not read the metrics (the app that keeps them renders them). */
export function authoriseMetrics(principal: Principal): void {
  requireRole(principal, 'read', 'read the metrics');
}
