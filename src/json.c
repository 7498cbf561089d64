/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.c - a small streaming JSON writer for --json: one object per line,
 * so scripts can read kvm-assign's output with any JSON-lines reader.
 */
/* Strings are valid UTF-8 whatever the input: a byte that is not part of a
 * valid UTF-8 sequence is written as \ufffd (U+FFFD REPLACEMENT CHARACTER). */
#include <inttypes.h>

#include "json.h"
#include "util.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				fprintf(out, "\\u%04x", *p);
			} else if (*p >= 0x80) {
				/* Valid UTF-8 as it is; each byte that is not: U+FFFD. */
				size_t n = utf8_seq_len(p);

				if (n == 0) {
					fputs("\\ufffd", out);
				} else {
					fwrite(p, 1, n, out);
					p += n - 1;
				}
			} else {
				fputc(*p, out);
			}
		}
	}
	fputc('"', out);
}

/* Comma and key before a value; arrays pass key NULL. */
static void begin_value(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key) {
		put_string(j->out, key);
		fputc(':', j->out);
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	begin_value(j, key);
	fputc(c, j->out);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_open(struct json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_open_array(struct json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_close_array(struct json *j)
{
	fputc(']', j->out);
	j->depth--;
}

void json_close(struct json *j)
{
	fputc('}', j->out);
	j->depth--;
	if (j->depth == 0) {
		fputc('\n', j->out);
		j->need_comma[0] = false;
		fflush(j->out);
	}
}

void json_str(struct json *j, const char *key, const char *value)
{
	begin_value(j, key);
	if (value)
		put_string(j->out, value);
	else
		fputs("null", j->out);
}

void json_u64(struct json *j, const char *key, uint64_t value)
{
	begin_value(j, key);
	fprintf(j->out, "%" PRIu64, value);
}

void json_i64(struct json *j, const char *key, int64_t value)
{
	begin_value(j, key);
	fprintf(j->out, "%" PRId64, value);
}

void json_double(struct json *j, const char *key, double value)
{
	begin_value(j, key);
	fprintf(j->out, "%.3f", value);
}

void json_bool(struct json *j, const char *key, bool value)
{
	begin_value(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->out);
}
