/* listparse: a tiny list language.
 *
 *   input  := value
 *   value  := list | number | string | word | key '=' value   (no pair as a pair's value)
 *   list   := '[' [ value { ',' value } [','] ] ']'
 *   number := ['-'] digit+          word, key := [A-Za-z_][A-Za-z0-9_.-]*
 *   string := '"' { char | '\' char } '"'
 *
 * e.g.  [1, [2, 3], key=value, "str"]
 *
 * Built as is, the library has two real bugs (this is a fuzzing example):
 *   - the recursive-descent parser has no depth limit: deep nesting such as
 *     [[[[...1...]]]] runs off the stack (SIGSEGV on the guard page);
 *   - a key is copied into a fixed LP_KEY_MAX-byte heap buffer without a
 *     length check (heap-buffer-overflow for keys of 16 bytes or more).
 * Built with -DLISTPARSE_FIXED=ON both are parse errors instead.
 */
#ifndef LISTPARSE_H
#define LISTPARSE_H

#include <stddef.h>

#define LP_KEY_MAX 16     /* bytes in a key buffer, terminating NUL included */
/* Nesting limit of the fixed variant. A level costs about 224 bytes of stack
 * (gcc -O2), a list nested in a pair's value about 370; with AddressSanitizer
 * 550 and 1070, so 100 levels of either fit a 160K stack. */
#define LP_MAX_DEPTH 100

typedef enum { LP_NUMBER, LP_STRING, LP_WORD, LP_PAIR, LP_LIST } lp_kind;

typedef struct lp_node lp_node;
struct lp_node {
  lp_kind kind;
  long number;      /* LP_NUMBER */
  char *text;       /* LP_STRING, LP_WORD: the text; LP_PAIR: the key */
  lp_node *value;   /* LP_PAIR */
  lp_node **items;  /* LP_LIST */
  size_t count, cap;
};

typedef struct {
  size_t lists, numbers, strings, words, pairs, max_depth;
} lp_stats;

typedef struct {
  size_t offset;        /* byte offset of the error in the input */
  const char *message;  /* static string */
} lp_error;

/* Parses src[0, len) (need not be NUL-terminated). Returns the tree, or NULL
 * with *err filled in. stats and err may be NULL. */
lp_node *lp_parse(const char *src, size_t len, lp_stats *stats, lp_error *err);
void lp_free(lp_node *node);
/* "buggy" or "fixed" */
const char *lp_variant(void);

#endif
