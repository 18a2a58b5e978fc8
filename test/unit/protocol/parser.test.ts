import { describe, expect, test } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import type { CacheCommand } from '../../../src/protocol/commands.js';
import { ProtocolParser } from '../../../src/protocol/parser.js';
import { bytes } from '../../helpers/decoder-cases.js';

function parseError(input: string): ParseError {
  try {
    ProtocolParser.parse(bytes(input));
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error(`parsed without error: ${JSON.stringify(input)}`);
}

describe('ProtocolParser.parse', () => {
  // The seed's test_protocol_parse, with the value `set` must carry.
  test('protocol_parse', () => {
    expect(ProtocolParser.parse(Buffer.from('get mykey\r\n'))).toStrictEqual({
      type: 'get',
      keys: ['mykey'],
    });
    const set = ProtocolParser.parse(Buffer.from('set mykey 0 0 5\r\nvalue\r\n'));
    expect(set.type).toBe('set');
    const { value, ...rest } = set as CacheCommand & { value: Uint8Array };
    expect(rest).toStrictEqual({ type: 'set', key: 'mykey', flags: 0, exptime: 0, noreply: false });
    expect(Buffer.from(value).toString()).toBe('value');
  });

  test('the value is a view of the input', () => {
    const input = bytes('set k 0 0 3\r\nabc\r\n');
    const set = ProtocolParser.parse(input) as CacheCommand & { value: Uint8Array };
    expect(set.value.buffer).toBe(input.buffer);
  });

  test('parses the first command and ignores the rest', () => {
    expect(ProtocolParser.parse(bytes('delete a\r\nget b\r\n'))).toStrictEqual({
      type: 'delete',
      key: 'a',
      noreply: false,
    });
  });

  test('Incomplete: no newline yet, or a short data block', () => {
    for (const input of [
      'get mykey',
      'get mykey\r',
      'set k 0 0 5\r\nab',
      'set k 0 0 5\r\nvalue\r',
      '',
    ]) {
      const err = parseError(input);
      expect(err.kind).toBe('Incomplete');
      expect(err.reply).toBeUndefined();
    }
  });

  test('InvalidCommand: an unknown name, answered ERROR', () => {
    const err = parseError('frobnicate k\r\n');
    expect(err.kind).toBe('InvalidCommand');
    expect(err.reply).toBe('ERROR');
    expect(err.code).toBe('PARSE');
    expect(parseError('GET mykey\r\n').kind).toBe('InvalidCommand');
  });

  test.each([
    ['set k 0 0\r\n', 'ERROR'],
    ['get\r\n', 'ERROR'],
    ['set k x 0 5\r\nvalue\r\n', 'CLIENT_ERROR bad command line format'],
    [`get ${'k'.repeat(251)}\r\n`, 'CLIENT_ERROR bad command line format'],
    ['set k 0 0 5\r\nvalueXY', 'CLIENT_ERROR bad data chunk'],
    ['incr k x\r\n', 'CLIENT_ERROR invalid numeric delta argument'],
    ['touch k x\r\n', 'CLIENT_ERROR invalid exptime argument'],
    ['delete k 5\r\n', 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]'],
    [`set k 0 0 ${1024 * 1024 + 1}\r\n`, 'SERVER_ERROR object too large for cache'],
  ])('InvalidArguments: %j → %s', (input, reply) => {
    const err = parseError(input);
    expect(err.kind).toBe('InvalidArguments');
    expect(err.reply).toBe(reply);
    expect(err.message).toBe(reply);
  });

  test('InvalidArguments under noreply: memcached writes nothing, the message keeps the line', () => {
    const err = parseError('incr k x noreply\r\n');
    expect(err.kind).toBe('InvalidArguments');
    expect(err.reply).toBeUndefined();
    expect(err.message).toBe('CLIENT_ERROR invalid numeric delta argument');
  });

  test('the item limit is configurable', () => {
    expect(() =>
      ProtocolParser.parse(bytes('set k 0 0 5\r\nvalue\r\n'), { itemMaxBytes: 4 }),
    ).toThrow('SERVER_ERROR object too large for cache');
  });
});

describe('ProtocolParser.serialize', () => {
  test('memcached reply bytes', () => {
    const text = (data: Uint8Array) => Buffer.from(data).toString('latin1');
    expect(text(ProtocolParser.serialize({ type: 'stored' }))).toBe('STORED\r\n');
    expect(
      text(
        ProtocolParser.serialize({
          type: 'values',
          items: [{ key: 'mykey', flags: 0, value: bytes('value') }],
        }),
      ),
    ).toBe('VALUE mykey 0 5\r\nvalue\r\nEND\r\n');
    expect(text(ProtocolParser.serialize({ type: 'none' }))).toBe('');
  });
});
