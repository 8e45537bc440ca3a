// SPDX-License-Identifier: GPL-2.0
/*
 * The workload spec's table, built from s2workloads.def, and the checks
 * the workloads and the plan check share (s2wl_spec.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "s2parse.h"
#include "s2strategy.h"
#include "s2wl_spec.h"

/* The upstream tests, for s2_upstream -t. */
#define S2WL_UPSTREAM_TEST(name, ...) #name,
static const char *const s2wl_upstream_tests[] = {
#include "s2workloads.def"
	NULL
};

#define S2WL_OPTION(id, ...) static const struct s2wl_opt id = { __VA_ARGS__ };
#include "s2workloads.def"

/* Options that a scope gives, in the order of the .def. */
#define S2WL_OPTION(id, ...) &id,
static const struct s2wl_opt *const all_opts[] = {
#include "s2workloads.def"
};
#define NR_ALL_OPTS (sizeof(all_opts) / sizeof(all_opts[0]))

#define S2WL_WORKLOAD(n, f, a, ...) \
	{ .name = #n, .flags = S2WL_LIB | (f), .about = a, .own = { __VA_ARGS__ } },
#define S2WL_PROGRAM(n, f, a, ...) { .name = #n, .flags = (f), .about = a, .own = { __VA_ARGS__ } },
const struct s2wl_spec s2wl_specs[] = {
#include "s2workloads.def"
};
const size_t s2wl_nspecs = sizeof(s2wl_specs) / sizeof(s2wl_specs[0]);

const struct s2wl_spec *s2wl_spec_find(const char *name)
{
	for (size_t i = 0; name && i < s2wl_nspecs; i++)
		if (!strcmp(name, s2wl_specs[i].name))
			return &s2wl_specs[i];
	return NULL;
}

static bool in_scope(const struct s2wl_spec *w, const struct s2wl_opt *o)
{
	return o->scope == S2WL_EVERY || (o->scope == S2WL_LIBRARY && (w->flags & S2WL_LIB));
}

const struct s2wl_opt *s2wl_spec_nth(const struct s2wl_spec *w, size_t i)
{
	size_t k;

	for (k = 0; k < NR_ALL_OPTS; k++)
		if (in_scope(w, all_opts[k]) && !i--)
			return all_opts[k];
	for (k = 0; k < S2WL_MAX_OWN && w->own[k]; k++)
		if (!i--)
			return w->own[k];
	return NULL;
}

const struct s2wl_opt *s2wl_spec_opt(const struct s2wl_spec *w, char letter)
{
	const struct s2wl_opt *o;

	for (size_t i = 0; (o = s2wl_spec_nth(w, i)); i++)
		if (o->letter == letter)
			return o;
	return NULL;
}

/* "a, b@lastc": "a, b or c" for a choice, "a, b, c" for a list */
static void join_names(const char *const *names, const char *last, char *buf, size_t len)
{
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; names[i] && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", !i ? "" : names[i + 1] ? ", " : last,
			      names[i]);
}

static int bad(const struct s2wl_opt *o, const char *value, char *err, size_t len)
{
	char names[512];
	int n;

	if (o->bad) {
		n = snprintf(err, len, "-%c: ", o->letter);
		if (n >= 0 && (size_t)n < len)
			n += snprintf(err + n, len - n, o->bad, value);
	} else {
		join_names(o->names, " or ", names, sizeof(names));
		n = snprintf(err, len, "-%c: '%s' is not %s", o->letter, value, names);
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (o->flags & S2WL_RANGE) {
		snprintf(err + n, len - n, " (%llu-%llu)", (unsigned long long)o->min,
			 (unsigned long long)o->max);
	} else if (o->flags & S2WL_LIST) {
		join_names(o->names, ", ", names, sizeof(names));
		snprintf(err + n, len - n, " (%s)", names);
	}
	return -1;
}

static int name_index(const char *const *names, const char *s, size_t slen)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == slen && !strncmp(s, names[i], slen))
			return i;
	return -1;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int s2wl_opt_check(const struct s2wl_opt *o, const char *arg, uint64_t *v, char *err,
		   size_t len)
{
	uint64_t x = 0;
	const char *p, *e;
	char item[256];
	int i;

	switch (o->kind) {
	case S2WL_FLAG:
	case S2WL_TEXT:
		break;
	case S2WL_UINT:
		if (s2_parse_uint(arg, o->max, &x) || x < o->min ||
		    ((o->flags & S2WL_POW2) && !pow2(x)))
			return bad(o, arg, err, len);
		break;
	case S2WL_SIZE:
		if ((o->flags & S2WL_ZERO) && !strcmp(arg, "0"))
			break;
		if (s2_parse_size(arg, &x) || ((o->flags & S2WL_POW2) && !pow2(x)))
			return bad(o, arg, err, len);
		break;
	case S2WL_NAME:
		i = name_index(o->names, arg, strlen(arg));
		if (i < 0)
			return bad(o, arg, err, len);
		x = i;
		break;
	case S2WL_NAMES:
		for (p = arg;; p = e + 1) {
			e = p + strcspn(p, ",");
			if (e == p) {
				snprintf(err, len, "-%c: empty list element in '%s'", o->letter, arg);
				return -1;
			}
			snprintf(item, sizeof(item), "%.*s", (int)(e - p), p);
			i = name_index(o->names, p, e - p);
			if (i < 0)
				return bad(o, item, err, len);
			if (x & (1ull << i)) {
				snprintf(err, len, "-%c: '%s' is listed twice", o->letter, item);
				return -1;
			}
			x |= 1ull << i;
			if (!*e)
				break;
		}
		break;
	case S2WL_CPUS:
		for (p = arg; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == ','))
				return bad(o, arg, err, len);
		if (!*arg || *arg == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
			return bad(o, arg, err, len);
		break;
	}
	*v = x;
	return 0;
}

int s2wl_spec_needs(const struct s2wl_spec *w, const char *(*value)(char letter, void *ctx),
		    void *ctx, char *err, size_t len)
{
	const struct s2wl_opt *o, *need;
	const char *given, *other;
	uint64_t x;

	for (size_t i = 0; (o = s2wl_spec_nth(w, i)); i++) {
		if (!o->needs.value)
			continue;
		given = value(o->letter, ctx);
		if (!given || strcmp(given, o->needs.value))
			continue;
		need = s2wl_spec_opt(w, o->needs.letter);
		other = value(o->needs.letter, ctx);
		if (need && other && !s2wl_opt_check(need, other, &x, err, len) &&
		    x == o->needs.equals)
			continue;
		snprintf(err, len, "-%c %s needs -%c %llu (%s)", o->letter, o->needs.value,
			 o->needs.letter, (unsigned long long)o->needs.equals, o->needs.why);
		return -1;
	}
	return 0;
}

const char *s2wl_spec_names(unsigned int flags, const char *sep, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s2wl_nspecs && n < len; i++)
		if ((s2wl_specs[i].flags & flags) == flags)
			n += snprintf(buf + n, len - n, "%s%s", n ? sep : "", s2wl_specs[i].name);
	return buf;
}
