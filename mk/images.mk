# Images: placeholder until images/ exists.
images:
	@echo "make images: not implemented yet" >&2; exit 1
