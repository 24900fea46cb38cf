// One line of text on Ink's cheap path. Ink measures every <Text> with string-width on each frame, and any character
// outside printable ASCII (…, ›, tree lines, status marks) sends the whole line through its grapheme segmenter: a
// third of a full frame. A line of our own one-column glyphs is laid out as spaces of the same width instead and
// swapped back by <Transform> just before Ink draws it; anything else (wide text) goes through Ink's own measuring.
import React, { memo } from 'react';
import { Text, Transform } from 'ink';
import { sanitize } from '../state/text.js';

type Props = {
  /** One line, exactly as wide as its code points (fitWidth() made it so). */
  readonly text: string;
  readonly inverse?: boolean;
  readonly color?: string;
  readonly dimColor?: boolean;
  readonly bold?: boolean;
};

const ASCII = /^[\x20-\x7e]*$/;
/** Every glyph the views draw; each is one column wide for string-width and for Ink's tokenizer. */
const NARROW = /^[\x20-\x7e·×…›←↑→↓⊘⏵⏸─│└├▲▸▼▾⚠✔✘⧖]*$/u;

export default memo(function Line({ text: raw, ...style }: Props) {
  // The last stop before the terminal: nothing a peer sent may move the cursor or erase a row.
  const text = sanitize(raw);
  if (ASCII.test(text) || !NARROW.test(text)) return <Text wrap="truncate" {...style}>{text}</Text>;
  // Every NARROW glyph is one UTF-16 unit, so the length is the count of code points: no array of characters.
  const blank = ' '.repeat(text.length);
  // Styling only wraps the blank in escape codes (which hold no spaces): the first run of blanks is the text.
  const restore = (styled: string): string => styled.replace(blank, () => text);
  return <Transform transform={restore}><Text {...style}>{blank}</Text></Transform>;
});
