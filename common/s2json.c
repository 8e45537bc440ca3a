// SPDX-License-Identifier: GPL-2.0
#include "s2json.h"

json_t *s2_jint(uint64_t v, const char *unit)
{
	return json_pack("{s:I, s:s}", "value", (json_int_t)v, "unit", unit);
}

json_t *s2_jreal(double v, const char *unit)
{
	return json_pack("{s:f, s:s}", "value", v, "unit", unit);
}

json_t *s2_junavail(const char *reason)
{
	return json_pack("{s:b, s:s}", "available", 0, "reason", reason);
}
