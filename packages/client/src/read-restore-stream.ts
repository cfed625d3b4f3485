import { decodeRestoreEvent, isTerminalRestoreEvent, type RestoreEvent } from '@rewind/protocol';
import { createParser } from 'eventsource-parser';

/**
 * The typed restore events of an SSE response (`text/event-stream` from `@rewind/server`), up
 * to and including the terminal one. Heartbeats and events this version does not know are
 * skipped. The generator ends without a terminal event when the connection drops: the restore
 * goes on, and `RewindClient.follow` resumes after the last event's id.
 *
 * @example
 * for await (const event of readRestoreStream(response)) console.log(event.event, event.data);
 */
export async function* readRestoreStream(response: Response): AsyncGenerator<RestoreEvent> {
  if (!response.body) return;
  const queue: RestoreEvent[] = [];
  const parser = createParser({
    onEvent: (message) => {
      const event = decodeRestoreEvent(message);
      if (event && event.event !== 'heartbeat') queue.push(event);
    },
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      while (queue.length > 0) {
        const event = queue.shift() as RestoreEvent;
        yield event;
        if (isTerminalRestoreEvent(event)) return;
      }
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}
