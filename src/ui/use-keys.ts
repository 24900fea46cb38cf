// Key presses as names (decodeKey): Ink's useInput cannot tell F1 from F9, so this listens to the same parsed input.
import { useEffect, useRef } from 'react';
import { useStdin } from 'ink';
import { decodeKey } from './keymap.js';

export function useKeys(handler: (name: string) => void): void {
  const { internal_eventEmitter: events, setRawMode, isRawModeSupported } = useStdin();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (isRawModeSupported) setRawMode(true);
    const onInput = (sequence: string): void => latest.current(decodeKey(sequence));
    events.on('input', onInput);
    return () => {
      events.removeListener('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [events, setRawMode, isRawModeSupported]);
}
