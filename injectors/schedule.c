/* Schedule parser shared by harness and injector: no allocation, no libc. */
#include "schedule.h"
#include "unsafe_calls.h"

const struct fl_schedule_key_info fl_schedule_keys[FL_KEY_COUNT] = {
#define FL_X(id, item, key, kind, required, help) {item, key, kind, required, help},
    FL_SCHEDULE_KEYS(FL_X)
#undef FL_X
};

_Static_assert(FL_KEY_COUNT <= 64, "present is a 64-bit mask");

/* A bounded string builder for error messages and the canonical form. */
struct sbuf {
  char *p;
  size_t len, cap;
  int overflow;
};

static void sb_putn(struct sbuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (b->len + 1 >= b->cap) {
      b->overflow = 1;
      break;
    }
    b->p[b->len++] = s[i];
  }
  if (b->cap) b->p[b->len] = '\0';
}
static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
static void sb_puts(struct sbuf *b, const char *s) { sb_putn(b, s, str_len(s)); }
static void sb_putu(struct sbuf *b, uint64_t v, int hex) {
  char tmp[24];
  int n = 0;
  unsigned base = hex ? 16 : 10;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (hex) sb_puts(b, "0x");
  while (n) sb_putn(b, &tmp[--n], 1);
}

static int is_space(char c) { return c == ' ' || c == '\t'; }
static int span_eq(const char *s, size_t n, const char *z) {
  size_t i = 0;
  for (; i < n; i++)
    if (z[i] != s[i]) return 0;
  return z[i] == '\0';
}

/* Linux x86_64 numbering, 1..31. */
static const char *const signal_names[32] = {
    0,      "HUP",  "INT",    "QUIT", "ILL",  "TRAP", "ABRT",   "BUS",  "FPE",    "KILL", "USR1",
    "SEGV", "USR2", "PIPE",   "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP",   "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU",   "XFSZ", "VTALRM", "PROF", "WINCH", "IO",  "PWR",    "SYS"};
static const char *const signal_full_names[32] = {
    0,         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",  "SIGTRAP", "SIGABRT",   "SIGBUS",
    "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",   "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",  "SIGPWR",    "SIGSYS"};

const char *fl_signal_name(int sig) { return sig > 0 && sig < 32 ? signal_full_names[sig] : 0; }

static int span_eq(const char *s, size_t n, const char *z);

/* "SIGPROF", "PROF" or a number 1..64. */
static int parse_signal(const char *s, size_t n, uint64_t *out) {
  if (n > 3 && s[0] == 'S' && s[1] == 'I' && s[2] == 'G') {
    s += 3;
    n -= 3;
  }
  for (int i = 1; i < 32; i++)
    if (span_eq(s, n, signal_names[i])) {
      *out = (uint64_t)i;
      return 0;
    }
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > 64) return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (n == 0 || v < 1 || v > 64) return -1;
  *out = v;
  return 0;
}

/* Parses [s, s+n) as a number; sizes accept K/M/G. Returns 0 on success. */
static int parse_value(const char *s, size_t n, enum fl_value_kind kind, uint64_t *out) {
  if (kind == FL_VAL_SIGNAL) return parse_signal(s, n, out);
  uint64_t v = 0;
  size_t i = 0;
  unsigned base = 10;
  if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    i = 2;
  }
  size_t digits = 0;
  for (; i < n; i++, digits++) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
    else if (base == 16 && c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
    else break;
    if (v > (UINT64_MAX - d) / base) return -1;
    v = v * base + d;
  }
  if (digits == 0) return -1;
  if (i < n && kind == FL_VAL_SIZE && i + 1 == n) {
    unsigned shift = 0;
    switch (s[i]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: return -1;
    }
    if (v > (UINT64_MAX >> shift)) return -1;
    v <<= shift;
    i++;
  }
  if (i != n) return -1;
  *out = v;
  return 0;
}

int fl_parse_size(const char *text, uint64_t *out) {
  return parse_value(text, str_len(text), FL_VAL_SIZE, out);
}

static void list_keys_of(struct sbuf *b, const char *item, size_t item_len) {
  int first = 1;
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    if (!span_eq(item, item_len, fl_schedule_keys[k].item) || !fl_schedule_keys[k].key[0]) continue;
    if (!first) sb_puts(b, ", ");
    sb_puts(b, fl_schedule_keys[k].key);
    first = 0;
  }
}

static void list_items(struct sbuf *b) {
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    int seen = 0;
    for (int j = 0; j < k; j++)
      if (span_eq(fl_schedule_keys[k].item, str_len(fl_schedule_keys[k].item), fl_schedule_keys[j].item))
        seen = 1;
    if (seen) continue;
    if (k) sb_puts(b, ", ");
    sb_puts(b, fl_schedule_keys[k].item);
  }
}

static int find_key(const char *item, size_t item_len, const char *key, size_t key_len) {
  for (int k = 0; k < FL_KEY_COUNT; k++)
    if (span_eq(item, item_len, fl_schedule_keys[k].item) && span_eq(key, key_len, fl_schedule_keys[k].key))
      return k;
  return -1;
}

static int item_known(const char *item, size_t item_len) {
  for (int k = 0; k < FL_KEY_COUNT; k++)
    if (span_eq(item, item_len, fl_schedule_keys[k].item)) return 1;
  return 0;
}

/* "schedule item 'NAME': " — the start of every per-item error. */
static void item_error(struct sbuf *err, const char *name, size_t name_len) {
  sb_puts(err, "schedule item '");
  sb_putn(err, name, name_len);
  sb_puts(err, "': ");
}

static int is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '+' || c == '-';
}

/* A name, copied into out (FL_SCHEDULE_MAX_WORD bytes). Returns 0 on success. */
static int parse_word(const char *s, size_t n, char *out) {
  if (n == 0 || n >= FL_SCHEDULE_MAX_WORD) return -1;
  for (size_t i = 0; i < n; i++) {
    if (!is_word_char(s[i])) return -1;
    out[i] = s[i];
  }
  out[n] = '\0';
  return 0;
}

static int set_key(struct fl_schedule *out, int k, uint64_t v, const char *name, size_t name_len,
                   struct sbuf *err) {
  if (fl_schedule_has(out, (enum fl_schedule_key)k)) {
    item_error(err, name, name_len);
    sb_puts(err, "'");
    sb_puts(err, fl_schedule_keys[k].key[0] ? fl_schedule_keys[k].key : fl_schedule_keys[k].item);
    sb_puts(err, "' given twice");
    return -1;
  }
  out->value[k] = v;
  out->item_of[k] = out->items;
  out->present |= (uint64_t)1 << k;
  return 0;
}

int fl_unsafe_family_of(const char *name) {
  for (int id = 0; id < FL_CALL_COUNT; id++)
    if (fl_unsafe_call_family(id) == id && fl_call_traits(id) & FL_TRAIT_UNSAFE &&
        span_eq(name, str_len(name), fl_unsafe_call_name(id)))
      return id;
  return -1;
}

static void list_unsafe_families(struct sbuf *b) {
  for (int id = 0, first = 1; id < FL_CALL_COUNT; id++) {
    if (fl_unsafe_call_family(id) != id || !(fl_call_traits(id) & FL_TRAIT_UNSAFE)) continue;
    if (!first) sb_puts(b, ", ");
    sb_puts(b, fl_unsafe_call_name(id));
    first = 0;
  }
}

/* "schedule item 'ITEM': REASON". Returns -1. */
static int item_fails(struct sbuf *err, const char *item, const char *reason) {
  item_error(err, item, str_len(item));
  sb_puts(err, reason);
  return -1;
}

static int unknown_item(struct sbuf *err, const char *name, size_t name_len) {
  sb_puts(err, "unknown schedule item '");
  sb_putn(err, name, name_len);
  sb_puts(err, "' (known: ");
  list_items(err);
  sb_puts(err, ")");
  return -1;
}

static int unknown_key(struct sbuf *err, const char *name, size_t name_len, const char *key, size_t key_len) {
  item_error(err, name, name_len);
  sb_puts(err, "unknown key '");
  sb_putn(err, key, key_len);
  sb_puts(err, "' (known: ");
  list_keys_of(err, name, name_len);
  sb_puts(err, ")");
  return -1;
}

/* "'KEY' is a bare word and takes no value", "expected key=value, got 'KEY'": the key quoted. */
static int key_fails(struct sbuf *err, const char *name, size_t name_len, const char *before, const char *key,
                     size_t key_len, const char *after) {
  item_error(err, name, name_len);
  sb_puts(err, before);
  sb_putn(err, key, key_len);
  sb_puts(err, after);
  return -1;
}

static const char *value_wanted(enum fl_value_kind kind) {
  return kind == FL_VAL_SIZE     ? "' (want a size such as 4096, 64K, 1M)"
         : kind == FL_VAL_SIGNAL ? "' (want a signal such as SIGPROF or 27)"
         : kind == FL_VAL_WORD   ? "' (want a name of at most 31 letters, digits, '_', '.', '+', '-')"
                                 : "' (want a number, decimal or 0x-hex)";
}

/* Key k's value at s[*i] (just past its '='), up to the next space. */
static int parse_key_value(const char *s, size_t n, size_t *i, int k, const char *name, size_t name_len,
                           struct fl_schedule *out, struct sbuf *err) {
  const char *val = s + *i;
  while (*i < n && !is_space(s[*i])) (*i)++;
  const size_t val_len = (size_t)(s + *i - val);
  uint64_t v = 0;
  const enum fl_value_kind kind = fl_schedule_keys[k].kind;
  if (kind == FL_VAL_WORD ? parse_word(val, val_len, out->word[k]) != 0 : parse_value(val, val_len, kind, &v) != 0)
    return key_fails(err, name, name_len, "bad value '", val, val_len, value_wanted(kind));
  return set_key(out, k, v, name, name_len, err);
}

/* One "key", "key=value" or, when own_value, "value" (the item's own, key ""),
   at s[*i]; the table says which keys the item has and of what kind. */
static int parse_key(const char *s, size_t n, size_t *i, int own_value, const char *name, size_t name_len,
                     struct fl_schedule *out, struct sbuf *err) {
  const char *key = s + *i;
  size_t key_len = 0;
  if (!own_value) {
    while (*i < n && !is_space(s[*i]) && s[*i] != '=') (*i)++;
    key_len = (size_t)(s + *i - key);
  }
  const int k = find_key(name, name_len, key, key_len);
  const int has_value = *i < n && s[*i] == '=';
  if (k < 0) return unknown_key(err, name, name_len, key, key_len);
  if (fl_schedule_keys[k].kind == FL_VAL_FLAG)
    return has_value ? key_fails(err, name, name_len, "'", key, key_len, "' is a bare word and takes no value")
                     : set_key(out, k, 1, name, name_len, err);
  if (!has_value) return key_fails(err, name, name_len, "expected key=value, got '", key, key_len, "'");
  (*i)++; /* '=' */
  return parse_key_value(s, n, i, k, name, name_len, out, err);
}

static int check_required(const char *name, size_t name_len, const struct fl_schedule *out, struct sbuf *err) {
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    if (!fl_schedule_keys[k].required || fl_schedule_has(out, (enum fl_schedule_key)k) ||
        !span_eq(name, name_len, fl_schedule_keys[k].item))
      continue;
    item_error(err, name, name_len);
    sb_puts(err, "'");
    sb_puts(err, fl_schedule_keys[k].key);
    sb_puts(err, "' is required");
    return -1;
  }
  return 0;
}

/* What an item needs of its keys together, beyond the required ones. */
static int check_alloc(const struct fl_schedule *s, struct sbuf *err) {
  int asked = 0;
#define FL_X(P, id, ...) asked += fl_schedule_has(s, FL_KEY_ALLOC_##id);
  FL_ALLOCATORS(FL_X, _)
#undef FL_X
  return asked == 1 ? 0 : item_fails(err, "alloc", "give exactly one allocator");
}

/* delay pauses at an allocator call or at a sync point: one of the two. */
static int check_delay(const struct fl_schedule *s, struct sbuf *err) {
  if (fl_schedule_has(s, FL_KEY_DELAY_CALL) != fl_schedule_has(s, FL_KEY_DELAY_SYNC)) return 0;
  return item_fails(err, "delay", "give exactly one of call=N and sync=N");
}

static int check_pct(const struct fl_schedule *s, struct sbuf *err) {
  const uint64_t depth = s->value[FL_KEY_PCT_DEPTH];
  if (depth >= 1 && depth <= FL_PCT_MAX_DEPTH && s->value[FL_KEY_PCT_POINTS] >= 1) return 0;
  return item_fails(err, "pct", "depth= is 1..8 and points= at least 1");
}

static int check_malloc_signal(const struct fl_schedule *s, struct sbuf *err) {
  const char *const item = "malloc-signal";
  /* It raises at an instruction or traces the call: one of the two. */
  if (fl_schedule_has(s, FL_KEY_MS_INSN) == fl_schedule_has(s, FL_KEY_MS_TRACE))
    return item_fails(err, item, "give exactly one of insn=K and trace");
  if (!fl_schedule_has(s, FL_KEY_MS_IN)) return 0;
  if (fl_schedule_has(s, FL_KEY_MS_PTRACE))
    return item_fails(err, item, "in= is stepped in-process: not with ptrace");
  if (fl_unsafe_family_of(s->word[FL_KEY_MS_IN]) >= 0) return 0;
  item_error(err, item, str_len(item));
  sb_puts(err, "in='");
  sb_puts(err, s->word[FL_KEY_MS_IN]);
  sb_puts(err, "' is not a signal-unsafe function faultline interposes (");
  list_unsafe_families(err);
  sb_puts(err, ")");
  return -1;
}

static const struct {
  const char *item;
  int (*check)(const struct fl_schedule *, struct sbuf *);
} item_checks[] = {
    {"alloc", check_alloc}, {"delay", check_delay}, {"pct", check_pct}, {"malloc-signal", check_malloc_signal}};

static int check_item(const char *name, size_t name_len, const struct fl_schedule *out, struct sbuf *err) {
  if (check_required(name, name_len, out, err) != 0) return -1;
  for (size_t c = 0; c < sizeof item_checks / sizeof *item_checks; c++)
    if (span_eq(name, name_len, item_checks[c].item)) return item_checks[c].check(out, err);
  return 0;
}

/* One item: "name key=value flag key=value" or "name=value". */
static int parse_item(const char *s, size_t n, struct fl_schedule *out, struct sbuf *err) {
  size_t i = 0;
  while (i < n && !is_space(s[i]) && s[i] != '=') i++;
  const char *name = s;
  const size_t name_len = i;
  if (!item_known(name, name_len)) return unknown_item(err, name, name_len);
  int given = 0;
  int own_value = i < n && s[i] == '='; /* name=value: the item's own value, key "" */
  while (i < n) {
    while (i < n && is_space(s[i])) i++;
    if (i >= n) break;
    if (parse_key(s, n, &i, own_value, name, name_len, out, err) != 0) return -1;
    own_value = 0;
    given++;
  }
  if (!given) {
    item_error(err, name, name_len);
    sb_puts(err, "needs a value (keys: ");
    list_keys_of(err, name, name_len);
    sb_puts(err, ")");
    return -1;
  }
  return check_item(name, name_len, out, err);
}

int fl_schedule_parse(const char *line, struct fl_schedule *out, char *err, size_t errlen) {
  struct sbuf eb = {err, 0, errlen, 0};
  if (errlen) err[0] = '\0';
  out->present = 0;
  out->items = 0;
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    out->value[k] = 0;
    out->word[k][0] = '\0';
    out->item_of[k] = 0;
  }
  size_t n = str_len(line);
  if (n >= FL_SCHEDULE_MAX_LINE) {
    sb_puts(&eb, "schedule longer than 1023 characters");
    return -1;
  }
  size_t start = 0;
  while (start <= n) {
    size_t end = start;
    while (end < n && line[end] != ';') end++;
    size_t a = start, b = end;
    while (a < b && is_space(line[a])) a++;
    while (b > a && is_space(line[b - 1])) b--;
    if (b > a) {
      if (parse_item(line + a, b - a, out, &eb) != 0) return -1;
      out->items++;
    }
    start = end + 1;
  }
  return 0;
}

size_t fl_schedule_format(const struct fl_schedule *s, char *buf, size_t len) {
  struct sbuf b = {buf, 0, len, 0};
  if (len) buf[0] = '\0';
  const char *open_item = 0;
  for (int k = 0; k < FL_KEY_COUNT; k++) {
    if (!fl_schedule_has(s, (enum fl_schedule_key)k)) continue;
    const struct fl_schedule_key_info *ki = &fl_schedule_keys[k];
    int same_item = open_item && span_eq(open_item, str_len(open_item), ki->item);
    if (!same_item) {
      if (open_item) sb_puts(&b, " ; ");
      sb_puts(&b, ki->item);
      open_item = ki->item;
    }
    if (ki->key[0]) {
      sb_puts(&b, " ");
      sb_puts(&b, ki->key);
    }
    if (ki->kind == FL_VAL_FLAG) continue;
    sb_puts(&b, "=");
    uint64_t v = s->value[k];
    if (ki->kind == FL_VAL_SIZE && v && v % (1u << 30) == 0) {
      sb_putu(&b, v >> 30, 0);
      sb_puts(&b, "G");
    } else if (ki->kind == FL_VAL_SIZE && v && v % (1u << 20) == 0) {
      sb_putu(&b, v >> 20, 0);
      sb_puts(&b, "M");
    } else if (ki->kind == FL_VAL_SIZE && v && v % 1024 == 0) {
      sb_putu(&b, v >> 10, 0);
      sb_puts(&b, "K");
    } else if (ki->kind == FL_VAL_WORD) {
      sb_puts(&b, s->word[k]);
    } else if (ki->kind == FL_VAL_SIGNAL && fl_signal_name((int)v)) {
      sb_puts(&b, fl_signal_name((int)v));
    } else {
      sb_putu(&b, v, ki->kind == FL_VAL_UINT && k == FL_KEY_SEED);
    }
  }
  return b.overflow ? 0 : b.len;
}
