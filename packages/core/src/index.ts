export * from './fsm-export.js';
export * from './fsm-table.js';
export * from './status-map.js';
export * from './transition.js';
