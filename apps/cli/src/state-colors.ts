import type { State } from '@pipelinejobs/core';
import type { StyleName } from './ansi.js';

/** How each state is coloured in tables: keyed by core's State, so a new state fails to compile. */
export const STATE_COLORS: Readonly<Record<State, StyleName>> = {
  CREATED: 'blue',
  RUNNING: 'cyan',
  FAILED: 'red',
  FINISHED: 'green',
  INDEXING: 'cyan',
  VALIDATING: 'cyan',
  VALIDATED: 'green',
  REJECTED: 'red',
  FINALIZED: 'green',
  RETIRED: 'dim',
  RESET: 'yellow',
};
