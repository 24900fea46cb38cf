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
