# Convenience targets; run.sh is the driver and does the real work.
.PHONY: all smoke test deps kernel image help
all: smoke
smoke:
	./run.sh smoke
test:
	./run.sh test
deps:
	./run.sh deps
kernel:
	./run.sh kernel
image:
	./run.sh image
help:
	./run.sh help
