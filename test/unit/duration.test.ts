import fc from 'fast-check';
import { InvalidDurationError, parseDuration } from '../../src/secrets/duration';

describe('parsing a duration such as --keep-previous-for 30d', () => {
  it.each([
    ['45s', 45_000],
    ['90m', 5_400_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1s', 1000],
    ['36500d', 3_153_600_000_000],
    ['5214w', 5214 * 604_800_000],
  ])('%s is %d ms', (text, milliseconds) => {
    expect(parseDuration(text)).toBe(milliseconds);
  });

  it.each([
    '', '30', 'd', '0d', '00d', '030d', '-1d', '+1d', '1.5h', '1e3s', '30 d', ' 30d', '30d ', '30D', '30ms', '1y', '1M',
    '30days', '1h30m', '0x10s', '３０d', '30d\n', 'Infinityd', 'NaNd',
  ])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidDurationError);
    expect(() => parseDuration(text)).toThrow(
      `invalid duration ${JSON.stringify(text)}: use a whole number followed by s, m, h, d or w (e.g. 45s, 90m, 12h, 30d, 2w)`,
    );
  });

  it('refuses more than 100 years, and numbers too long to be exact', () => {
    expect(() => parseDuration('36501d')).toThrow('invalid duration "36501d": at most 36500d (100 years)');
    expect(() => parseDuration('5215w')).toThrow(/at most 36500d/);
    expect(() => parseDuration('99999999999999999s')).toThrow(/use a whole number/);
  });

  it('shortens a long refused input in the message', () => {
    expect(() => parseDuration('x'.repeat(10_000))).toThrow(`invalid duration "${'x'.repeat(40)}…": use a whole number`);
  });

  it('gives n times the unit for every accepted n', () => {
    const units = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5214 }), fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)), (n, unit) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit]);
      }),
    );
  });
});
