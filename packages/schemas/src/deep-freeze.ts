/** Freezes a parsed JSON value in place, so a consumer (OpenAPI builder, /schemas route) cannot alter the shared schemas. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
