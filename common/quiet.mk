# SPDX-License-Identifier: GPL-2.0
# The Makefiles' output, in the libbpf-tools manner: one line a step
# ("  CC       file", $(call msg,CC,file)), the commands themselves with
# V=1. Included by bench/, bpf/, guests/ and tests/fuzz/ Makefiles.
ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif
