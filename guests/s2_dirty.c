// SPDX-License-Identifier: GPL-2.0
/* s2_dirty: see dirtylog.c. */
#include "dirtylog.h"

static const struct s2_dirtylog kind = {
	.about = "Live-migration style dirty logging: first touch, enable logging, then\n"
		 "passes of guest writes, each followed by collecting the dirty log. Checks\n"
		 "after every pass that each page the guest wrote is in the log.\n",
	.defaults = S2WL_PARAMS(),
};

const struct s2wl_cli s2_dirty_cli = S2_DIRTYLOG_CLI("s2_dirty", &kind);

int main(int argc, char **argv)
{
	return s2_dirtylog_main(argc, argv, &s2_dirty_cli);
}
