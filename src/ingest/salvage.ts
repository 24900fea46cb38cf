// A build-log line too long to keep whole: Nix writes it as `{"action":"result","fields":["<text>"],"id":N,"type":101}`,
// so the kept prefix holds the start of the text and the kept tail the id. Rebuilt from both (and decoded by the
// general decoder, which validates it), the line still lands in its build's log, cut, saying how much was cut.
import type { NixRecord } from '../state/nix.js';
import { decodeGeneral } from './decode.js';

const HEAD = '{"action":"result","fields":["';
const TAIL = /"\],"id":(0|[1-9]\d{0,19}),"type":101\}\r?$/;
/** JSON characters of text kept: with the note, within what a log tail keeps of a line (limits.lineChars, 4096). */
const KEEP_CHARS = 2000;

export function salvageLogLine(head: string, tail: string, totalBytes: number): NixRecord | null {
  const start = head.startsWith('@nix ') ? 5 : 0;
  if (!head.startsWith(HEAD, start)) return null;
  const id = TAIL.exec(tail)?.[1];
  if (id === undefined) return null;
  let text = head.slice(start + HEAD.length, start + HEAD.length + KEEP_CHARS);
  // The cut may fall inside an escape: drop a partial \uXXXX and an odd trailing backslash.
  text = text.replace(/\\u[0-9a-fA-F]{0,3}$/, '');
  if ((/\\+$/.exec(text)?.[0].length ?? 0) % 2 === 1) text = text.slice(0, -1);
  const rec = decodeGeneral(`${HEAD}${text}"],"id":${id},"type":101}`);
  if (rec.kind !== 'result' || rec.fields.length !== 1 || typeof rec.fields[0] !== 'string') return null;
  return { ...rec, fields: [`${rec.fields[0]} … [line of ${totalBytes} bytes cut]`] };
}
