/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * json.h - a small streaming JSON writer for --json: objects, strings,
 * numbers, booleans and null, with commas and escaping done for the caller.
 */
#ifndef KVM_ASSIGN_JSON_H
#define KVM_ASSIGN_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	bool need_comma[16];
};

void json_init(struct json *j, FILE *out);
void json_open(struct json *j, const char *key);	/* key NULL at top level */
void json_close(struct json *j);			/* ends the line at top level */
void json_open_array(struct json *j, const char *key);
void json_close_array(struct json *j);
void json_str(struct json *j, const char *key, const char *value);	/* NULL -> null */
void json_u64(struct json *j, const char *key, uint64_t value);
void json_i64(struct json *j, const char *key, int64_t value);
void json_double(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

#endif
