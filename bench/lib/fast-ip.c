/* The client of bench/lib/ip-server.ts: `fast-ip SOCKET ARGS...` behaves as `ip ARGS...` on a
 * fake host (stdin is read and sent only for `-batch`, after any options, as ip and the test fake ip do). One
 * short process per call, like the real ip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

static void put(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) exit(125);
    p += w; n -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: fast-ip SOCKET ARGS...\n"); return 2; }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("fast-ip: connect"); return 125; }
  size_t len = 0;
  for (int i = 2; i < argc; i++) len += strlen(argv[i]) + (i > 2);
  char head[32];
  put(s, head, (size_t)snprintf(head, sizeof head, "%zu\n", len));
  for (int i = 2; i < argc; i++) {
    if (i > 2) put(s, "", 1);
    put(s, argv[i], strlen(argv[i]));
  }
  int batch = 0; /* -batch after any options: `-batch`, `-j -batch`, `-s -j -batch` */
  for (int i = 2; i < argc && argv[i][0] == '-'; i++) batch |= strcmp(argv[i], "-batch") == 0;
  if (batch) {
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) put(s, buf, (size_t)n);
  }
  shutdown(s, SHUT_WR);
  size_t cap = 1 << 16, got = 0;
  char *r = malloc(cap);
  ssize_t n;
  while ((n = read(s, r + got, cap - got)) > 0) {
    got += (size_t)n;
    if (got == cap) r = realloc(r, cap *= 2);
  }
  char *nl = memchr(r, '\n', got);
  if (!nl) { fprintf(stderr, "fast-ip: no reply from the fake ip server\n"); return 125; }
  int code = 0;
  size_t outlen = 0;
  sscanf(r, "%d %zu", &code, &outlen);
  char *body = nl + 1;
  size_t rest = got - (size_t)(body - r);
  if (outlen > rest) outlen = rest;
  put(1, body, outlen);
  put(2, body + outlen, rest - outlen);
  return code;
}
