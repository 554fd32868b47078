/** An RFC 6901 JSON pointer to the value reached by `steps` (object keys and array indexes); "" is the whole document. */
export function jsonPointer(steps: readonly (string | number)[]): string {
  let pointer = '';
  for (const step of steps) {
    pointer += `/${typeof step === 'number' ? step : step.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  }
  return pointer;
}
