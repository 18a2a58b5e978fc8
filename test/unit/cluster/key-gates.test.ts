import { describe, expect, it } from 'vitest';
import { KeyGates } from '../../../src/cluster/key-gates.js';

describe('KeyGates', () => {
  it('runs at once when the key is open, and holds commands in order while it is closed', () => {
    const gates = new KeyGates();
    const ran: string[] = [];
    gates.whenOpen('k', () => ran.push('now'), fail);
    expect(gates.isGated('k')).toBe(false);
    gates.close('k');
    expect([gates.isGated('k'), gates.isGated('other')]).toEqual([true, false]);
    gates.whenOpen('k', () => ran.push('a'), fail);
    gates.whenOpen('other', () => ran.push('other'), fail);
    gates.whenOpen('k', () => ran.push('b'), fail);
    expect(ran).toEqual(['now', 'other']);
    gates.release('k');
    expect(ran).toEqual(['now', 'other', 'a', 'b']);
    expect(gates.isGated('k')).toBe(false);
  });

  it('holds the rest again when a released command closes the gate itself', () => {
    const gates = new KeyGates();
    const ran: string[] = [];
    gates.close('k');
    gates.whenOpen(
      'k',
      () => {
        ran.push('primary-first');
        gates.close('k');
      },
      fail,
    );
    gates.whenOpen('k', () => ran.push('after'), fail);
    gates.release('k');
    expect(ran).toEqual(['primary-first']);
    gates.release('k');
    expect(ran).toEqual(['primary-first', 'after']);
  });

  it('turns the throw of a held command into its rejection and runs the ones after it', () => {
    const gates = new KeyGates();
    const rejected: string[] = [];
    const ran: string[] = [];
    gates.close('k');
    gates.whenOpen(
      'k',
      () => {
        throw new Error('bad');
      },
      (err) => rejected.push(err.message),
    );
    gates.whenOpen('k', () => ran.push('next'), fail);
    gates.release('k');
    expect([rejected, ran]).toEqual([['bad'], ['next']]);
    // run at once, a throw reaches the caller
    expect(() =>
      gates.whenOpen(
        'k',
        () => {
          throw new Error('now');
        },
        fail,
      ),
    ).toThrow('now');
  });
});

function fail(err: Error): void {
  throw new Error(`unexpected rejection: ${err.message}`);
}
