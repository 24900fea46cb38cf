// An unprivileged member of the daemon's group that would hold its wake FIFO's pipe mutex (tests/e2e/wake-fifo.test.ts):
// it asks the daemon for a FIFO on the control socket, opens its read end and splices from it into a Unix socket
// whose buffer it filled and never reads. splice() sends while holding the pipe's mutex, so the send blocks with
// the mutex held, and every write to that pipe, O_NONBLOCK or not, then waits for it (uninterruptibly: D state).
// argv[1]: the control socket. Prints {"phase":"asked","path":...} then {"phase":"splicing"} and stays until killed;
// refused a FIFO (the daemon gives them to its own user only), it says why on stderr and exits 2.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int ask(const char* control, char* path, size_t size) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, control, sizeof addr.sun_path - 1);
  if (connect(s, (struct sockaddr*)&addr, sizeof addr) != 0) return -1;
  const char req[] = "{\"op\":\"wake\"}\n";
  if (write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return -1;
  char reply[4096];
  size_t got = 0;
  while (got < sizeof reply - 1 && memchr(reply, '\n', got) == NULL) {
    ssize_t n = read(s, reply + got, sizeof reply - 1 - got);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  reply[got] = 0;
  close(s);
  const char* at = strstr(reply, "\"path\":\"");
  if (at == NULL) {
    fprintf(stderr, "refused: %s", reply);
    return -1;
  }
  at += 8;
  const char* end = strchr(at, '"');
  if (end == NULL || (size_t)(end - at) >= size) return -1;
  memcpy(path, at, (size_t)(end - at));
  path[end - at] = 0;
  return 0;
}

int main(int argc, char** argv) {
  char path[1024];
  if (argc < 2 || ask(argv[1], path, sizeof path) != 0) return 2;
  printf("{\"phase\":\"asked\",\"path\":\"%s\"}\n", path);
  fflush(stdout);
  int fifo = open(path, O_RDONLY | O_NONBLOCK);
  if (fifo < 0) {
    perror("open");
    return 3;
  }
  fcntl(fifo, F_SETFL, fcntl(fifo, F_GETFL) & ~O_NONBLOCK);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 4;
  int small = 4096;
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  char fill[4096] = {0};
  while (write(sv[0], fill, sizeof fill) > 0) {
  }
  fcntl(sv[0], F_SETFL, 0);
  printf("{\"phase\":\"splicing\"}\n");
  fflush(stdout);
  // 0 until the daemon has opened its write end (it looks every few ms); then the first byte blocks the send.
  while (splice(fifo, NULL, sv[0], NULL, 65536, 0) == 0) usleep(1000);
  return 0;
}
