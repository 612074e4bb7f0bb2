/** How long a duration such as `--keep-previous-for 30d` may be: beyond this it is a typo, and dates overflow. */
const MAX_DAYS = 36500;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError';
}

/**
 * Milliseconds in a whole positive number of seconds, minutes, hours, days or weeks: `45s`,
 * `90m`, `12h`, `30d`, `2w`. Nothing else (no fractions, spaces, upper case, months or years).
 */
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]{0,15})([smhdw])$/.exec(text);
  if (!match) {
    throw new InvalidDurationError(
      `invalid duration ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}: ` +
        'use a whole number followed by s, m, h, d or w (e.g. 45s, 90m, 12h, 30d, 2w)',
    );
  }
  const milliseconds = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (milliseconds > MAX_DAYS * UNIT_MS.d) {
    throw new InvalidDurationError(`invalid duration ${JSON.stringify(text)}: at most ${MAX_DAYS}d (100 years)`);
  }
  return milliseconds;
}
