// SPDX-License-Identifier: GPL-2.0
/* s2_split: see dirtylog.c. */
#include "dirtylog.h"

static const struct s2_dirtylog kind = {
	.about = "Block-mapping splits under dirty logging: guest memory on huge-page backing\n"
		 "is first touched (block mappings where the backing allows), then logging is\n"
		 "enabled and each pass writes every page, so the first logged pass splits the\n"
		 "blocks (and issues TLBIs). Prints the splitting pass apart from later passes.\n",
	.defaults = S2WL_PARAMS(.bytes_per_vcpu = 32ull << 20,
				.backing = VM_MEM_SRC_ANONYMOUS_THP, .iterations = 2),
	.split = true,
};

const struct s2wl_cli s2_split_cli = S2_DIRTYLOG_CLI("s2_split", &kind);

int main(int argc, char **argv)
{
	return s2_dirtylog_main(argc, argv, &s2_split_cli);
}
