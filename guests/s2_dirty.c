// SPDX-License-Identifier: GPL-2.0
/* s2_dirty: see dirtylog.c. */
#include "dirtylog.h"

const struct s2_dirtylog s2_dirty_kind = {
	.name = "s2_dirty",
	.about = "Live-migration style dirty logging: first touch, enable logging, then\n"
		 "passes of guest writes, each followed by collecting the dirty log. Checks\n"
		 "after every pass that each page the guest wrote is in the log.\n",
	.defaults = S2WL_PARAMS(),
};

int main(int argc, char **argv)
{
	return s2_dirtylog_main(argc, argv, &s2_dirty_kind);
}
