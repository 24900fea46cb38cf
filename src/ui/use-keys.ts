// Key presses as names (decodeKeys): Ink's useInput cannot tell F1 from F9, so this listens to the same parsed input.
import { useEffect, useRef } from 'react';
import { useStdin } from 'ink';
import { decodeKeys } from './keymap.js';

export function useKeys(handler: (name: string) => void): void {
  const { internal_eventEmitter: events, setRawMode, isRawModeSupported } = useStdin();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (isRawModeSupported) setRawMode(true);
    const onInput = (chunk: string): void => { for (const name of decodeKeys(chunk)) latest.current(name); };
    events.on('input', onInput);
    return () => {
      events.removeListener('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [events, setRawMode, isRawModeSupported]);
}
