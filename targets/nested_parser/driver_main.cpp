// Standalone driver: target-nested_parser [--main-thread] [FILE]  (stdin without FILE)
// Parses on a worker thread created with default attributes, like a
// compiler's worker thread: its stack size is whatever the process defaults
// to (RLIMIT_STACK, or what the harness's pthread_create interposition sets),
// which is how deep generated source ends up on a guard page.
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "nested_parser.h"

namespace {

struct Job {
  std::string source;
  nested::ParseResult result;
};

void* parse_worker(void* arg) {
  Job* job = static_cast<Job*>(arg);
  job->result = nested::parse_source(job->source);
  return nullptr;
}

bool read_all(FILE* in, std::string& out) {
  char buf[65536];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;) out.append(buf, n);
  return !std::ferror(in);
}

int usage() {
  std::fprintf(stderr, "usage: target-nested_parser [--main-thread] [FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool main_thread = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--main-thread") == 0) {
      main_thread = true;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      return usage();
    } else if (!path) {
      path = argv[i];
    } else {
      return usage();
    }
  }

  Job job;
  FILE* in = path && std::strcmp(path, "-") != 0 ? std::fopen(path, "rb") : stdin;
  if (!in) {
    std::perror(path);
    return 2;
  }
  bool read_ok = read_all(in, job.source);
  if (in != stdin) std::fclose(in);
  if (!read_ok) {
    std::perror(path ? path : "stdin");
    return 2;
  }

  if (main_thread) {
    parse_worker(&job);
  } else {
    pthread_t worker;
    // NULL attributes on purpose: the default stack is the one that overflows.
    int err = pthread_create(&worker, nullptr, parse_worker, &job);
    if (err != 0) {
      std::fprintf(stderr, "pthread_create: %s\n", std::strerror(err));
      return 2;
    }
    pthread_join(worker, nullptr);
  }

  if (!job.result.ok) {
    std::fprintf(stderr, "error: %s\n", job.result.error.c_str());
    return 1;
  }
  std::printf("ok depth=%zu nodes=%zu bytes=%zu\n", job.result.max_depth, job.result.nodes, job.source.size());
  return 0;
}
