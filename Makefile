# Convenience targets; run.sh is the driver and does the real work.
# `make` builds the host-side tool (s2bench) and says what to run next.
.PHONY: all bench test check deps kernel image help
all: bench
	@echo "s2bench built: bench/.output/s2bench.  Next: ./run.sh (the default plan), ./run.sh test, ./run.sh help"
bench:
	$(MAKE) -s -C bench
test:
	./run.sh test
check:
	./run.sh test --offline
deps:
	./run.sh deps
kernel:
	./run.sh kernel
image:
	./run.sh image
help:
	./run.sh help
