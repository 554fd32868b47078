export * from './config.js';
export * from './errors.js';
export * from './fsm-svg.js';
export * from './secret.js';
export * from './services.js';
export * from './use-cases.js';
