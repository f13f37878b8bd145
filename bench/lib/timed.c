/* `timed CMD ARGS...`: runs CMD and writes to fd 3 "WALL_US USER_US SYS_US EXIT" — wall time
 * from fork to exit, and the CPU time of CMD and every descendant it waited for (wait4's
 * rusage). Exits 0 once CMD ran, 127 if it could not. stdout and stderr are passed through;
 * stdin is read first and written to CMD through a pipe, as libvirt gives a hook its XML (node's
 * own spawn would hand it a socket, which a shell reads otherwise). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: timed CMD ARGS...\n"); return 127; }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  ssize_t n;
  while (buf && (n = read(0, buf + len, cap - len)) > 0) {
    len += n;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  int in[2];
  if (!buf || pipe(in) < 0) { perror("timed: stdin"); return 127; }
  signal(SIGPIPE, SIG_IGN); /* a command that doesn't read all of it, as libvirt allows */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) { perror("timed: fork"); return 127; }
  if (pid == 0) {
    close(3);
    dup2(in[0], 0);
    close(in[0]);
    close(in[1]);
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[1], argv + 1);
    perror("timed: exec");
    _exit(127);
  }
  close(in[0]);
  for (size_t off = 0; off < len;) {
    ssize_t w = write(in[1], buf + off, len - off);
    if (w <= 0) break;
    off += w;
  }
  close(in[1]);
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("timed: wait4"); return 127; }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long wall = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
  long long user = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
  long long sys = ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  dprintf(3, "%lld %lld %lld %d\n", wall, user, sys, code);
  return 0;
}
