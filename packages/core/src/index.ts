export * from './fsm-export.js';
export * from './fsm-table.js';
export * from './identity.js';
export * from './json-exact.js';
export * from './python-forms.js';
export * from './status-map.js';
export * from './transition.js';
export * from './typed-uuid.js';
