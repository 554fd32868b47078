import { InvalidArgumentError } from 'commander';
import { parseDuration } from './duration.js';

/**
 * Parsers for option values. They throw commander's InvalidArgumentError, so a malformed value
 * is a usage error (exit 2) reported by commander with the option's name.
 */
export function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    }
    return value;
  };
}

export function duration(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new InvalidArgumentError('expected a duration like 30s, 15m, 12h or 7d.');
  return seconds;
}
