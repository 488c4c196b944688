/* listparse: a plain recursive-descent parser (see listparse.h). */
#include "listparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* parse_value and parse_list recurse into each other once per nesting level.
 * Keep them separate frames (and build with -fno-optimize-sibling-calls), so
 * every level costs the same stack and a crash report names both; copy_key
 * too, so its overflow is reported as copy_key's wherever the key is. */
#define LP_NOINLINE __attribute__((noinline))

typedef struct {
  const char *s;
  size_t len, pos;
  lp_stats st;
  lp_error err;
} parser;

static void *fail(parser *p, const char *message) {
  if (!p->err.message) {
    p->err.offset = p->pos;
    p->err.message = message;
  }
  return NULL;
}

static int peek(const parser *p) { return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1; }

static void skip_ws(parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_ident_start(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_ident_char(int c) { return is_ident_start(c) || is_digit(c) || c == '.' || c == '-'; }

static lp_node *new_node(parser *p, lp_kind kind) {
  lp_node *n = calloc(1, sizeof *n);
  if (!n) return fail(p, "out of memory");
  n->kind = kind;
  return n;
}

void lp_free(lp_node *n) {
  size_t i;
  if (!n) return;
  for (i = 0; i < n->count; i++) lp_free(n->items[i]);
  lp_free(n->value);
  free(n->items);
  free(n->text);
  free(n);
}

static int append(parser *p, lp_node *list, lp_node *item) {
  if (list->count == list->cap) {
    size_t cap = list->cap ? 2 * list->cap : 4;
    lp_node **items = realloc(list->items, cap * sizeof *items);
    if (!items) return fail(p, "out of memory"), 0;
    list->items = items;
    list->cap = cap;
  }
  list->items[list->count++] = item;
  return 1;
}

/* "..." with \x escapes (the escaped character stands for itself) */
static lp_node *parse_string(parser *p) {
  size_t start = ++p->pos, n = 0;
  lp_node *node;
  char *out;
  while (p->pos < p->len && p->s[p->pos] != '"') {
    if (p->s[p->pos] == '\\' && ++p->pos == p->len) break;
    p->pos++;
    n++;
  }
  if (p->pos >= p->len) return fail(p, "unterminated string");
  p->pos++;
  if (!(node = new_node(p, LP_STRING))) return NULL;
  if (!(node->text = out = malloc(n + 1))) return lp_free(node), fail(p, "out of memory");
  for (size_t i = start; i < p->pos - 1; i++) {
    if (p->s[i] == '\\') i++;
    *out++ = p->s[i];
  }
  *out = '\0';
  p->st.strings++;
  return node;
}

static lp_node *parse_value(parser *p, size_t depth, int allow_pair);

/* Keys are short: one fixed-size buffer each. */
static LP_NOINLINE char *copy_key(const char *key, size_t len) {
  char *buf = malloc(LP_KEY_MAX);
  if (!buf) return NULL;
  /* BUG (buggy variant): nobody checks len < LP_KEY_MAX */
  memcpy(buf, key, len);
  buf[len] = '\0';
  return buf;
}

/* key=value; the key is s[kstart, kstart+klen) */
static lp_node *parse_pair(parser *p, size_t kstart, size_t klen, size_t depth) {
  lp_node *pair;
#ifdef LISTPARSE_FIXED
  if (klen >= LP_KEY_MAX) {
    p->pos = kstart;
    return fail(p, "key too long");
  }
#endif
  if (!(pair = new_node(p, LP_PAIR))) return NULL;
  if (!(pair->text = copy_key(p->s + kstart, klen))) return lp_free(pair), fail(p, "out of memory");
  if (!(pair->value = parse_value(p, depth, 0))) return lp_free(pair), NULL;
  p->st.pairs++;
  return pair;
}

static LP_NOINLINE lp_node *parse_list(parser *p, size_t depth) {
  lp_node *list, *item;
#ifdef LISTPARSE_FIXED
  if (depth > LP_MAX_DEPTH) return fail(p, "nesting too deep");
#endif
  /* BUG (buggy variant): no depth limit */
  p->pos++; /* '[' */
  if (!(list = new_node(p, LP_LIST))) return NULL;
  p->st.lists++;
  if (depth > p->st.max_depth) p->st.max_depth = depth;
  skip_ws(p);
  if (peek(p) == ']') {
    p->pos++;
    return list;
  }
  for (;;) {
    if (!(item = parse_value(p, depth, 1))) break;
    if (!append(p, list, item)) {
      lp_free(item);
      break;
    }
    skip_ws(p);
    if (peek(p) == ']') {
      p->pos++;
      return list;
    }
    if (peek(p) != ',') {
      fail(p, peek(p) < 0 ? "unexpected end of input, expected ',' or ']'" : "expected ',' or ']'");
      break;
    }
    p->pos++;
    skip_ws(p);
    if (peek(p) == ']') { /* trailing comma */
      p->pos++;
      return list;
    }
  }
  lp_free(list);
  return NULL;
}

static LP_NOINLINE lp_node *parse_value(parser *p, size_t depth, int allow_pair) {
  char digits[64]; /* a number's text, for strtol */
  size_t start, n, mark;
  lp_node *node;
  int c;

  skip_ws(p);
  c = peek(p);
  if (c == '[') return parse_list(p, depth + 1);
  if (c == '"') return parse_string(p);
  start = p->pos;
  if (c == '-' || is_digit(c)) {
    if (c == '-') p->pos++;
    while (is_digit(peek(p))) p->pos++;
    n = p->pos - start;
    if (n == 1 && c == '-') return fail(p, "expected a digit after '-'");
    if (n >= sizeof digits) return p->pos = start, fail(p, "number too long");
    memcpy(digits, p->s + start, n);
    digits[n] = '\0';
    errno = 0;
    long v = strtol(digits, NULL, 10);
    if (errno) return p->pos = start, fail(p, "number out of range");
    if (!(node = new_node(p, LP_NUMBER))) return NULL;
    node->number = v;
    p->st.numbers++;
    return node;
  }
  if (is_ident_start(c)) {
    while (is_ident_char(peek(p))) p->pos++;
    n = p->pos - start;
    mark = p->pos;
    skip_ws(p);
    if (peek(p) == '=') {
      if (!allow_pair) return fail(p, "a pair's value cannot be a pair");
      p->pos++;
      return parse_pair(p, start, n, depth);
    }
    p->pos = mark;
    if (!(node = new_node(p, LP_WORD))) return NULL;
    if (!(node->text = malloc(n + 1))) return lp_free(node), fail(p, "out of memory");
    memcpy(node->text, p->s + start, n);
    node->text[n] = '\0';
    p->st.words++;
    return node;
  }
  return fail(p, c < 0 ? "unexpected end of input" : "unexpected character");
}

lp_node *lp_parse(const char *src, size_t len, lp_stats *stats, lp_error *err) {
  parser p = {src, len, 0, {0}, {0, NULL}};
  lp_node *root = parse_value(&p, 0, 1);
  if (root) {
    skip_ws(&p);
    if (p.pos != p.len) {
      fail(&p, "trailing characters after the value");
      lp_free(root);
      root = NULL;
    }
  }
  if (stats) *stats = p.st;
  if (err) *err = p.err;
  return root;
}

const char *lp_variant(void) {
#ifdef LISTPARSE_FIXED
  return "fixed";
#else
  return "buggy";
#endif
}
