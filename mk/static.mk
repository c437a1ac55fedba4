# Static build: placeholder until scripts/build-static-deps.sh exists.
static:
	@echo "make static: not implemented yet" >&2; exit 1
