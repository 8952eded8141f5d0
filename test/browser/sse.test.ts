/** The console's reader of the event-stream format, fed text in the pieces a network delivers. */
import { SseParser } from '../../src/console/api/sse';

/** Every message of `text` pushed in pieces of `size` characters. */
function parseInPieces(text: string, size: number): { messages: Array<{ event: string; data: string }>; parser: SseParser } {
  const parser = new SseParser();
  const messages = [];
  for (let i = 0; i < text.length; i += size) messages.push(...parser.push(text.slice(i, i + size)));
  return { messages, parser };
}

const STREAM =
  'retry: 2000\r\n\r\n' +
  ': heartbeat\n\n' +
  'event: progress\ndata: {"a":1}\n\n' +
  'id: 7\r\nevent: agents\r\ndata: {"agents":\r\ndata: []}\r\n\r\n' +
  'data:no space\r\r' +
  'event: ignored\n\n';

describe('SseParser', () => {
  it.each([1, 2, 3, 7, STREAM.length])('reads named events, multi-line data, CRLF and CR, comments and retry (pieces of %i)', (size) => {
    const { messages, parser } = parseInPieces(STREAM, size);
    expect(messages).toEqual([
      { event: 'progress', data: '{"a":1}' },
      { event: 'agents', data: '{"agents":\n[]}' },
      { event: 'message', data: 'no space' },
    ]);
    expect(parser.retryMs).toBe(2000);
    expect(parser.lastEventId).toBe('7');
  });

  it('drops what a dropped connection left half-sent, and keeps retry', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 500\n\nevent: progress\ndata: {"cut')).toEqual([]);
    parser.restart();
    expect(parser.push('event: agents\ndata: {}\n\n')).toEqual([{ event: 'agents', data: '{}' }]);
    expect(parser.retryMs).toBe(500);
  });
});
