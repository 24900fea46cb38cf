// Key presses as names (decodeKeys) and SGR mouse reports: Ink's useInput cannot tell F1 from F9 and knows no mouse,
// so this listens to the same parsed input (Ink hands over each escape sequence, mouse reports included, alone).
import { useEffect, useRef } from 'react';
import { useStdin } from 'ink';
import type { MouseEvent } from './keymap.js';
import { decodeKeys, decodeMouse } from './keymap.js';

export function useKeys(handler: (name: string) => void, onMouse?: (event: MouseEvent) => void): void {
  const { internal_eventEmitter: events, setRawMode, isRawModeSupported } = useStdin();
  const latest = useRef({ handler, onMouse });
  latest.current = { handler, onMouse };
  useEffect(() => {
    if (isRawModeSupported) setRawMode(true);
    const onInput = (chunk: string): void => {
      // Esc right before another sequence reaches us glued to it (Ink's parser waits briefly after a lone Esc).
      if (chunk.startsWith('\x1b\x1b') && chunk.length > 2) { latest.current.handler('escape'); onInput(chunk.slice(1)); return; }
      if (chunk.startsWith('\x1b[<')) {
        const m = decodeMouse(chunk);
        if (m) latest.current.onMouse?.(m);
        return;
      }
      for (const name of decodeKeys(chunk)) latest.current.handler(name);
    };
    events.on('input', onInput);
    return () => {
      events.removeListener('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [events, setRawMode, isRawModeSupported]);
}
