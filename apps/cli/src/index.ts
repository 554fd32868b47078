// Filled in by its issue; see README.
export {};
