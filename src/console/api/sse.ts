/**
 * A parser of the text/event-stream format (the WHATWG "server-sent events" rules), fed text as it
 * arrives. The console reads its streams with fetch(), since EventSource cannot send the API key.
 */
export interface SseMessage {
  event: string;
  data: string;
}

export class SseParser {
  /** The last `retry:` the server sent, in ms. */
  retryMs: number | null = null;
  lastEventId = '';
  private buffer = '';
  private event = '';
  private data: string[] = [];

  /** A new connection: what the last one left half-sent is dropped; `retry` and the last id stay. */
  restart(): void {
    this.buffer = '';
    this.event = '';
    this.data = [];
  }

  /** The messages that the text completes; a partial line waits for the next push. */
  push(text: string): SseMessage[] {
    this.buffer += text;
    const messages: SseMessage[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone CR at the end may be the first half of CRLF: wait for what follows.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer.endsWith('\r'))) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const message = this.line(line);
      if (message) messages.push(message);
    }
    return messages;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    // A comment: the server's heartbeat.
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
    }
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    const message = this.data.length === 0 ? undefined : { event: this.event || 'message', data: this.data.join('\n') };
    this.event = '';
    this.data = [];
    return message;
  }
}
