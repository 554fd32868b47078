import type { Principal } from '@pipelinejobs/auth';
import type { Actor } from '@pipelinejobs/storage';

/** The actor recorded for a principal: its kind and id, never its credential. */
export function actorOf(principal: Principal): Actor {
  return { kind: principal.kind, id: principal.id };
}
