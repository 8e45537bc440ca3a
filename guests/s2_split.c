// SPDX-License-Identifier: GPL-2.0
/* s2_split: see dirtylog.c. */
#include "dirtylog.h"

int main(int argc, char **argv)
{
	return s2_dirtylog_main(argc, argv, true);
}
