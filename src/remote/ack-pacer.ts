// The empty lines a UI writes back to the proxy. ssh without a tty leaves Nagle on, so sshd holds the proxy's next
// small write until the UI's machine acknowledges the last one, which a receiver that never sends does only after
// its delayed-ack timer (tens of ms); data going back carries the ack at once. Each such line costs wake-ups of the
// UI's ssh, the far sshd and the proxy, so a stream's chunks share one line per interval, and a chunk after a
// pause (a lone event, where latency shows) is answered at once.
export type AckPacer = {
  /** A chunk arrived from the proxy. */
  readonly chunk: () => void;
  readonly stop: () => void;
};

export function ackPacer(send: () => void, intervalMs: number, now: () => number = () => performance.now()): AckPacer {
  let last = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const fire = (): void => {
    timer = null;
    last = now();
    send();
  };
  return {
    chunk: () => {
      if (timer) return;
      const wait = last + intervalMs - now();
      if (wait <= 0) fire();
      else timer = setTimeout(fire, wait);
    },
    stop: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
