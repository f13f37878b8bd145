/* `timed CMD ARGS...`: runs CMD (stdin, stdout, stderr passed through) and writes to fd 3
 * "WALL_US USER_US SYS_US EXIT" — wall time from fork to exit, and the CPU time of CMD and every
 * descendant it waited for (wait4's rusage). Exits 0 once CMD ran, 127 if it could not. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: timed CMD ARGS...\n"); return 127; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) { perror("timed: fork"); return 127; }
  if (pid == 0) {
    close(3);
    execvp(argv[1], argv + 1);
    perror("timed: exec");
    _exit(127);
  }
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
