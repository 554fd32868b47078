/**
 * Letter case folded for ASCII only. Names and statuses are ASCII; full Unicode folding would
 * make other characters match them (`ı`.toUpperCase() is `I`, the Kelvin sign lowers to `k`),
 * so a look-alike would pass for a known event or status.
 */
export const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const asciiUpper = (text: string): string => text.replace(/[a-z]/g, (c) => c.toUpperCase());
