// A unix socket server at `path`, replacing a file left there (the caller has checked no live daemon answers).
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export async function listenUnix(path: string, onConnection: (socket: Socket) => void): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
