// Newline-delimited JSON over a socket, with the same bounded line splitter as every other input.
import type { Socket } from 'node:net';
import { LineSplitter } from '../ingest/lines.js';

export function onJsonLines(socket: Socket, handle: (value: unknown) => void, onBad: (reason: string) => void,
  maxLineBytes = 64 << 20): LineSplitter {
  const splitter = new LineSplitter({
    line: (text) => {
      if (text === '') return;
      let value: unknown;
      try { value = JSON.parse(text); } catch { onBad(`not JSON: ${text.slice(0, 80)}`); return; }
      handle(value);
    },
    oversize: (_head, bytes) => onBad(`message of ${bytes} bytes is over the limit`),
  }, maxLineBytes);
  socket.on('data', (chunk: Buffer) => splitter.push(chunk));
  return splitter;
}

export function sendJson(socket: Socket, value: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false;
  return socket.write(JSON.stringify(value) + '\n');
}
