#include "csv_import.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "i18n.h"
#include "pack.h"
#include "reader.h"
#include "record.h"
#include "sp_err.h"

/*
 * libcsv is fed one physical line at a time (a piece ends after "\n",
 * "\r\n" or a lone "\r", the line breaks libcsv itself knows), so the line
 * being parsed is always known in its callbacks. A line longer than
 * PIECE_MAX is fed in several pieces, which bounds how far libcsv's field
 * buffer can grow between two checks.
 */
#define PIECE_MAX 65536
/* The cells of a row that could fit a body add up to less than a body. */
#define ROW_CELLS_MAX SP_BODY_MAX
/* Longest column name or key quoted in a message, in bytes. */
#define QUOTE_MAX 64

static const uint8_t utf8_bom[3] = { 0xef, 0xbb, 0xbf };

/* A byte range in one of the parser's buffers. */
struct span {
	size_t off;
	size_t len;
};

/*
 * Keys seen so far, for duplicate detection: an open-addressing table of
 * indices into ent[], which holds each key's first line and where it
 * starts in bytes (key i ends where key i + 1 begins). The hash is keyed
 * SipHash with a random key, so a crafted file cannot make lookups slow.
 */
struct key_slot {
	uint32_t idx;   /* index into ent plus one; 0 when the slot is free */
	uint32_t hash;
};

struct key_ent {
	size_t off;
	size_t line;
};

struct key_table {
	struct key_slot *slot;
	size_t cap;             /* a power of two, or 0 */
	struct key_ent *ent;
	size_t n;
	size_t ent_cap;
	sp_buf bytes;
	uint8_t hkey[SP_SHORTHASH_KEYBYTES];
};

struct csv_ctx {
	const char *key_column;
	sp_csv_row_cb row_cb;
	sp_csv_bad_cb bad_cb;
	void *arg;
	sp_csv_error *err;
	int rc;                 /* non-zero stops parsing: a code or a callback's return */

	size_t line;            /* physical line of the piece being parsed */
	size_t row_line;        /* line where the open row began; 0 when none is open */

	/* The header, once read: names back to back, in file order. */
	bool have_header;
	size_t ncols;
	size_t key_col;
	sp_buf names;
	struct span name[SP_CSV_MAX_COLUMNS];
	size_t order[SP_CSV_MAX_COLUMNS];  /* columns sorted by name */

	/* The row being read. */
	size_t nfields;         /* fields seen; only the first ncols are kept */
	bool row_too_big;
	sp_buf cells;
	struct span cell[SP_CSV_MAX_COLUMNS];

	sp_buf body;
	struct key_table keys;
};

/* Fills e; a message about a row starts with its line. */
static void __attribute__((format(printf, 4, 0)))
vset_err(sp_csv_error *e, size_t line, int code, const char *fmt, va_list ap)
{
	int n = 0;

	e->line = line;
	e->code = code;
	if (line != 0)
		n = snprintf(e->msg, sizeof(e->msg), _("line %zu: "), line);
	if (n < 0 || (size_t)n >= sizeof(e->msg))
		n = 0;
	(void)vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
}

/*
 * Copies at most QUOTE_MAX bytes of s into out (NUL-terminated, "..."
 * marking a cut), cutting on a UTF-8 character boundary.
 */
static const char *
quote(char out[QUOTE_MAX + 4], const char *s, size_t len)
{
	size_t cut = len;

	if (len > QUOTE_MAX) {
		cut = QUOTE_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	memcpy(out, s, cut);
	strcpy(out + cut, cut < len ? "..." : "");
	return out;
}

/* Stops parsing on an error that is not about one row (or is fatal). */
static void __attribute__((format(printf, 4, 5)))
fatal(struct csv_ctx *c, size_t line, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(c->err, line, code, fmt, ap);
	va_end(ap);
	c->rc = code;
}

/* Stops parsing with code and its standard message. */
static void
fatal_code(struct csv_ctx *c, size_t line, int code)
{
	fatal(c, line, code, "%s", _(sp_strerror(code)));
}

/*
 * A bad row: reported to bad_cb and skipped when skipping, else it stops
 * parsing. Returns the value that stops parsing, or 0 to go on.
 */
static int __attribute__((format(printf, 4, 5)))
bad_row(struct csv_ctx *c, size_t line, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	vset_err(c->err, line, code, fmt, ap);
	va_end(ap);
	if (c->bad_cb == NULL)
		return code;
	if ((r = c->bad_cb(c->arg, c->err)) == 0)
		memset(c->err, 0, sizeof(*c->err));
	return r;
}

static int
keys_init(struct key_table *t)
{
	memset(t, 0, sizeof(*t));
	sp_buf_init(&t->bytes);
	if (sp_crypto_init() != 0)
		return SP_EINTERNAL;
	sp_randombytes(t->hkey, sizeof(t->hkey));
	return 0;
}

static void
keys_free(struct key_table *t)
{
	free(t->slot);
	free(t->ent);
	sp_buf_free(&t->bytes);
}

static uint32_t
keys_hash(const struct key_table *t, const char *key, size_t len)
{
	return (uint32_t)sp_shorthash(key, len, t->hkey);
}

static bool
keys_equal(const struct key_table *t, uint32_t i, const char *key, size_t len)
{
	size_t off = t->ent[i].off;
	size_t end = i + 1 < t->n ? t->ent[i + 1].off : t->bytes.len;

	return end - off == len && memcmp(t->bytes.data + off, key, len) == 0;
}

/* Returns the line key was first seen on, or 0 if it is new. */
static size_t
keys_find(const struct key_table *t, const char *key, size_t len, uint32_t hash)
{
	size_t mask = t->cap - 1, pos;
	const struct key_slot *s;

	if (t->cap == 0)
		return 0;
	for (pos = hash & mask; (s = &t->slot[pos])->idx != 0; pos = (pos + 1) & mask)
		if (s->hash == hash && keys_equal(t, s->idx - 1, key, len))
			return t->ent[s->idx - 1].line;
	return 0;
}

static void
keys_place(struct key_table *t, uint32_t idx, uint32_t hash)
{
	size_t mask = t->cap - 1, pos;

	for (pos = hash & mask; t->slot[pos].idx != 0; pos = (pos + 1) & mask)
		;
	t->slot[pos].idx = idx;
	t->slot[pos].hash = hash;
}

/* Doubles the slot table, keeping it at most half full. */
static int
keys_grow(struct key_table *t)
{
	struct key_slot *old = t->slot;
	size_t old_cap = t->cap, i;
	size_t cap = old_cap != 0 ? old_cap * 2 : 1024;

	if ((t->slot = calloc(cap, sizeof(*t->slot))) == NULL) {
		t->slot = old;
		return SP_ENOMEM;
	}
	t->cap = cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].idx != 0)
			keys_place(t, old[i].idx, old[i].hash);
	free(old);
	return 0;
}

/* Adds a key known to be new. */
static int
keys_add(struct key_table *t, const char *key, size_t len, uint32_t hash,
    size_t line)
{
	struct key_ent *ent;
	size_t cap;
	int r;

	if (t->n >= UINT32_MAX - 1)
		return SP_ETOOBIG;
	if ((t->n + 1) * 2 > t->cap && (r = keys_grow(t)) != 0)
		return r;
	if (t->n == t->ent_cap) {
		cap = t->ent_cap != 0 ? t->ent_cap * 2 : 1024;
		if ((ent = realloc(t->ent, cap * sizeof(*ent))) == NULL)
			return SP_ENOMEM;
		t->ent = ent;
		t->ent_cap = cap;
	}
	if ((r = sp_buf_append(&t->bytes, key, len)) != 0)
		return r;
	t->ent[t->n].off = t->bytes.len - len;
	t->ent[t->n].line = line;
	t->n++;
	keys_place(t, (uint32_t)t->n, hash);
	return 0;
}

/*
 * The integer rule: -?(0|[1-9][0-9]*) within int64, except "-0", which
 * would not read back as the text it was.
 */
static bool
parse_int(const char *s, size_t len, int64_t *out)
{
	const uint64_t max_neg = (uint64_t)INT64_MAX + 1;
	uint64_t v = 0, limit = INT64_MAX, d;
	bool neg = false;
	size_t i = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		limit = max_neg;
		i = 1;
	}
	if (i == len || (s[i] == '0' && (neg || len - i != 1)))
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64_t)(s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (!neg)
		*out = (int64_t)v;
	else
		*out = v == max_neg ? INT64_MIN : -(int64_t)v;
	return true;
}

/* A buffer that never received a byte has no memory: "" stands in. */
static const char *
span_ptr(const sp_buf *b, struct span s)
{
	return b->data != NULL ? (const char *)b->data + s.off : "";
}

static int
name_cmp(const struct csv_ctx *c, size_t a, size_t b)
{
	return sp_key_cmp(span_ptr(&c->names, c->name[a]), c->name[a].len,
	    span_ptr(&c->names, c->name[b]), c->name[b].len);
}

/* Writes the column list into the missing-key-column message. */
static void
missing_key_column(struct csv_ctx *c, size_t line)
{
	char q[QUOTE_MAX + 4], *msg = c->err->msg;
	size_t size = sizeof(c->err->msg), n, i, len;
	const char *sep = "";

	fatal(c, line, SP_ECSV, _("no column '%s' for the key; the columns are: "),
	    quote(q, c->key_column, strlen(c->key_column)));
	n = strlen(msg);
	for (i = 0; i < c->ncols; i++) {
		len = c->name[i].len;
		/* Room for this name, its separator, a later ", ..." and the NUL. */
		if (len + 2 + 5 + 1 > size - n) {
			(void)snprintf(msg + n, size - n, "%s...", sep);
			break;
		}
		n += (size_t)snprintf(msg + n, size - n, "%s%.*s", sep, (int)len,
		    span_ptr(&c->names, c->name[i]));
		sep = ", ";
	}
}

/* Takes the row just read as the header. */
static void
finish_header(struct csv_ctx *c, size_t line)
{
	size_t i, j, t;
	char q[QUOTE_MAX + 4];

	if (c->nfields > SP_CSV_MAX_COLUMNS) {
		fatal(c, line, SP_ECSV, _("more than %d columns"),
		    SP_CSV_MAX_COLUMNS);
		return;
	}
	if (c->cells.err != 0) {
		fatal_code(c, line, c->cells.err);
		return;
	}
	if (c->row_too_big) {
		fatal(c, line, SP_EBODY_TOO_BIG, _("the header row is larger "
		    "than a record body may be (%d KiB)"), SP_BODY_MAX / 1024);
		return;
	}
	/* The header's cells become the names; the row buffer starts afresh. */
	c->names = c->cells;
	sp_buf_init(&c->cells);
	c->ncols = c->nfields;
	for (i = 0; i < c->ncols; i++) {
		c->name[i] = c->cell[i];
		if (c->name[i].len == 0) {
			fatal(c, line, SP_ECSV, _("column %zu has no name"), i + 1);
			return;
		}
		if (!sp_utf8_valid(span_ptr(&c->names, c->name[i]), c->name[i].len)) {
			fatal(c, line, SP_EUTF8,
			    _("the name of column %zu is not valid UTF-8"), i + 1);
			return;
		}
	}
	/* Insertion sort: at most SP_CSV_MAX_COLUMNS names, sorted once. */
	for (i = 0; i < c->ncols; i++) {
		for (j = i; j > 0 && name_cmp(c, c->order[j - 1], i) > 0; j--)
			c->order[j] = c->order[j - 1];
		c->order[j] = i;
	}
	for (i = 1; i < c->ncols; i++) {
		if (name_cmp(c, c->order[i - 1], c->order[i]) == 0) {
			t = c->order[i];
			fatal(c, line, SP_ECSV, _("column name '%s' appears twice"),
			    quote(q, span_ptr(&c->names, c->name[t]),
			    c->name[t].len));
			return;
		}
	}
	for (i = 0; i < c->ncols; i++)
		if (c->name[i].len == strlen(c->key_column) &&
		    memcmp(span_ptr(&c->names, c->name[i]), c->key_column,
		    c->name[i].len) == 0)
			break;
	if (i == c->ncols) {
		missing_key_column(c, line);
		return;
	}
	c->key_col = i;
	c->have_header = true;
}

/* Packs the row as a body map: header -> cell, in name order. */
static int
pack_row(struct csv_ctx *c)
{
	struct span name, cell;
	const char *s;
	int64_t v;
	size_t i;

	sp_buf_reset(&c->body);
	sp_pack_map(&c->body, (uint32_t)c->ncols);
	for (i = 0; i < c->ncols; i++) {
		name = c->name[c->order[i]];
		cell = c->cell[c->order[i]];
		s = span_ptr(&c->cells, cell);
		sp_pack_str(&c->body, span_ptr(&c->names, name), name.len);
		if (parse_int(s, cell.len, &v))
			sp_pack_int(&c->body, v);
		else
			sp_pack_str(&c->body, s, cell.len);
	}
	return c->body.err;
}

/* Checks the row just read and hands it to row_cb. */
static int
finish_row(struct csv_ctx *c, size_t line)
{
	char q[QUOTE_MAX + 4];
	const char *key;
	size_t key_len, first, i;
	uint32_t hash;
	int r;

	if (c->nfields != c->ncols)
		return bad_row(c, line, SP_ECSV, _("expected %zu fields, found %zu"),
		    c->ncols, c->nfields);
	if (c->cells.err != 0) {
		fatal_code(c, line, c->cells.err);
		return c->rc;
	}
	if (c->row_too_big)
		goto too_big;
	for (i = 0; i < c->ncols; i++)
		if (!sp_utf8_valid(span_ptr(&c->cells, c->cell[i]), c->cell[i].len))
			return bad_row(c, line, SP_EUTF8,
			    _("field '%s' is not valid UTF-8"),
			    quote(q, span_ptr(&c->names, c->name[i]),
			    c->name[i].len));
	key = span_ptr(&c->cells, c->cell[c->key_col]);
	key_len = c->cell[c->key_col].len;
	if (key_len == 0)
		return bad_row(c, line, SP_EKEY, _("empty key"));
	if (sp_key_check(key, key_len) != 0)
		return bad_row(c, line, SP_EKEY, _("bad key: use 1-%d bytes "
		    "without control characters"), SP_KEY_MAX);
	hash = keys_hash(&c->keys, key, key_len);
	if ((first = keys_find(&c->keys, key, key_len, hash)) != 0)
		return bad_row(c, line, SP_EDUPKEY,
		    _("duplicate key '%s' (first on line %zu)"),
		    quote(q, key, key_len), first);
	if ((r = pack_row(c)) != 0) {
		fatal_code(c, line, r);
		return r;
	}
	if ((r = sp_body_validate(c->body.data, c->body.len)) == SP_EBODY_TOO_BIG)
		goto too_big;
	if (r != 0)
		return bad_row(c, line, r, "%s", _(sp_strerror(r)));
	if ((r = keys_add(&c->keys, key, key_len, hash, line)) != 0) {
		fatal_code(c, line, r);
		return r;
	}
	if (c->row_cb == NULL)
		return 0;
	return c->row_cb(c->arg, line, key, key_len, c->body.data, c->body.len);
too_big:
	return bad_row(c, line, SP_EBODY_TOO_BIG,
	    _("row too large (a record body may hold %d KiB)"), SP_BODY_MAX / 1024);
}

/* libcsv's end-of-field callback: keeps the cell for the row's end. */
static void
on_field(void *s, size_t len, void *arg)
{
	struct csv_ctx *c = arg;

	if (c->rc != 0)
		return;
	if (c->nfields < SP_CSV_MAX_COLUMNS && !c->row_too_big) {
		if (len > ROW_CELLS_MAX - c->cells.len) {
			c->row_too_big = true;
		} else {
			c->cell[c->nfields].off = c->cells.len;
			c->cell[c->nfields].len = len;
			(void)sp_buf_append(&c->cells, s, len);
		}
	}
	c->nfields++;
}

/* libcsv's end-of-row callback (term is the line break, or -1 at the end). */
static void
on_row(int term, void *arg)
{
	struct csv_ctx *c = arg;
	size_t line = c->row_line;

	(void)term;
	/* A row only ends after a piece that began it (see sp_csv_parse). */
	assert(line != 0);
	c->row_line = 0;
	if (c->rc == 0) {
		if (c->have_header)
			c->rc = finish_row(c, line);
		else
			finish_header(c, line);
	}
	c->nfields = 0;
	c->row_too_big = false;
	sp_buf_reset(&c->cells);
}

/* Cells are taken as they are: no space is trimmed. */
static int
no_space(unsigned char ch)
{
	(void)ch;
	return 0;
}

static bool
is_break(uint8_t ch)
{
	return ch == '\n' || ch == '\r';
}

/* Length of the next piece: up to and including its line break. */
static size_t
piece_len(const uint8_t *p, size_t len)
{
	size_t max = len < PIECE_MAX ? len : PIECE_MAX, i;

	for (i = 0; i < max; i++) {
		if (p[i] == '\n')
			return i + 1;
		if (p[i] == '\r')
			return i + 1 < len && p[i + 1] == '\n' ? i + 2 : i + 1;
	}
	return max;
}

/*
 * The separator is the one of ',' and ';' that is more frequent outside
 * quotes on the header line (the first line that is not blank).
 */
static unsigned char
detect_delim(const uint8_t *p, size_t len)
{
	size_t commas = 0, semicolons = 0, i;
	bool quoted = false, seen = false;

	for (i = 0; i < len; i++) {
		if (p[i] == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (is_break(p[i]) && seen)
			break;
		else if (p[i] == ',')
			commas++;
		else if (p[i] == ';')
			semicolons++;
		seen = seen || !is_break(p[i]);
	}
	return semicolons > commas ? ';' : ',';
}

static void
feed(struct csv_ctx *c, struct csv_parser *p, const uint8_t *data, size_t len)
{
	size_t pos = 0, n;

	while (pos < len && c->rc == 0) {
		n = piece_len(data + pos, len - pos);
		/*
		 * With no space trimmed, any byte but a line break begins a
		 * row when none is open; and a row ends only at the line
		 * break closing a piece. So a row begins on this line exactly
		 * when none is open and the piece does not start with a break.
		 */
		if (c->row_line == 0 && !is_break(data[pos]))
			c->row_line = c->line;
		if (csv_parse(p, data + pos, n, on_field, on_row, c) != n &&
		    c->rc == 0) {
			if (csv_error(p) == CSV_EPARSE)
				fatal(c, c->line, SP_ECSV, _("a quote inside an "
				    "unquoted field, or text after a closing quote"));
			else
				fatal_code(c, c->line, SP_ENOMEM);
		}
		if (c->rc != 0)
			break;
		/*
		 * libcsv holds the open field whole. One that has outgrown any
		 * body stops the import, even when skipping bad rows, so that
		 * a missing closing quote cannot make it buffer the rest of
		 * the file.
		 */
		if (p->entry_pos > ROW_CELLS_MAX) {
			fatal(c, c->row_line, SP_EBODY_TOO_BIG,
			    _("a field larger than %d KiB%s"), SP_BODY_MAX / 1024,
			    p->quoted ? _(" (is a closing quote missing?)") : "");
			break;
		}
		if (is_break(data[pos + n - 1]))
			c->line++;
		pos += n;
	}
	if (c->rc == 0 && csv_fini(p, on_field, on_row, c) != 0 && c->rc == 0)
		fatal(c, c->row_line, SP_ECSV, _("a quoted field is not closed"));
}

int
sp_csv_parse(const uint8_t *data, size_t len, const char *key_column,
    sp_csv_row_cb row_cb, sp_csv_bad_cb bad_cb, void *arg, sp_csv_error *err)
{
	struct csv_ctx *c;
	struct csv_parser p;
	int r;

	memset(err, 0, sizeof(*err));
	/* The context holds a few KiB of per-column arrays: keep it off the stack. */
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err->code = SP_ENOMEM;
		(void)snprintf(err->msg, sizeof(err->msg), "%s",
		    _(sp_strerror(SP_ENOMEM)));
		return SP_ENOMEM;
	}
	c->key_column = key_column;
	c->row_cb = row_cb;
	c->bad_cb = bad_cb;
	c->arg = arg;
	c->err = err;
	c->line = 1;
	sp_buf_init(&c->names);
	sp_buf_init(&c->cells);
	sp_buf_init(&c->body);
	/* csv_init allocates nothing and fails only on a NULL parser. */
	(void)csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
	if ((r = keys_init(&c->keys)) != 0) {
		fatal_code(c, 0, r);
		goto out;
	}
	if (len >= sizeof(utf8_bom) && memcmp(data, utf8_bom, sizeof(utf8_bom)) == 0) {
		data += sizeof(utf8_bom);
		len -= sizeof(utf8_bom);
	}
	csv_set_delim(&p, detect_delim(data, len));
	csv_set_space_func(&p, no_space);
	csv_set_blk_size(&p, 4096);
	feed(c, &p, data, len);
	if (c->rc == 0 && !c->have_header)
		fatal(c, 0, SP_ECSV, _("the file is empty: a header row is needed"));
out:
	r = c->rc;
	if (r == 0)
		memset(err, 0, sizeof(*err));
	csv_free(&p);
	keys_free(&c->keys);
	sp_buf_free(&c->names);
	sp_buf_free(&c->cells);
	sp_buf_free(&c->body);
	free(c);
	return r;
}

void
sp_csv_write_cell(FILE *f, const char *s, size_t len)
{
	bool quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
	size_t i;

	for (i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		fwrite(s, 1, len, f);
		return;
	}
	fputc('"', f);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			fputc('"', f);
		fputc(s[i], f);
	}
	fputc('"', f);
}
