/* target-pool_double_free [--fixed] [--large] [FILE]: FILE's first byte is
   the number of jobs (default 20). --large: every job carries 64 KiB. */
#include <stdio.h>
#include <string.h>

#include "pool.h"

int main(int argc, char **argv) {
  int arg = 1, fixed = 0, jobs = 20;
  if (arg < argc && strcmp(argv[arg], "--fixed") == 0) {
    fixed = 1;
    arg++;
  }
  if (arg < argc && strcmp(argv[arg], "--large") == 0) {
    pool_set_job_extra(64 * 1024);
    arg++;
  }
  if (arg < argc) {
    FILE *f = fopen(argv[arg], "rb");
    if (!f) {
      perror(argv[arg]);
      return 2;
    }
    int c = fgetc(f);
    if (c > 0) jobs = c;
    fclose(f);
  }
  printf("completed=%d of %d\n", pool_run(jobs, 5000, fixed), jobs);
  return 0;
}
