/* target-check_then_act [--fixed]: two tellers withdraw from one account.
   Each checks the balance under the lock, lets go of it, then takes the lock
   again to debit: check-then-act across two critical sections, with no
   allocation anywhere near the window. The second teller opens once the
   first has made its check, so the first is always thread 1 and plain runs
   almost never interleave in the window; the first held between its check
   and its act lets the other one debit first, the account goes negative,
   and the bank aborts.
   --fixed: check and debit in one critical section. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t account_lock = PTHREAD_MUTEX_INITIALIZER;
static long balance = 100;
static int fixed;
static int first_checked; /* the first teller has made its check */

static int withdraw(long amount) {
  pthread_mutex_lock(&account_lock);
  int enough = balance >= amount;
  if (fixed && enough) balance -= amount;
  __atomic_store_n(&first_checked, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&account_lock);
  if (!enough || fixed) return enough;
  pthread_mutex_lock(&account_lock); /* the act, on a check that may be stale by now */
  balance -= amount;
  pthread_mutex_unlock(&account_lock);
  return 1;
}

static void *teller(void *arg) {
  (void)arg;
  withdraw(80);
  return 0;
}

int main(int argc, char **argv) {
  fixed = argc > 1 && strcmp(argv[1], "--fixed") == 0;
  pthread_t a, b;
  pthread_create(&a, 0, teller, 0);
  struct timespec nap = {0, 100000};
  while (!__atomic_load_n(&first_checked, __ATOMIC_ACQUIRE)) nanosleep(&nap, 0); /* the second teller comes later */
  pthread_create(&b, 0, teller, 0);
  pthread_join(a, 0);
  pthread_join(b, 0);
  printf("balance %ld\n", balance);
  if (balance < 0) abort(); /* the bank's invariant */
  return 0;
}
