/* kexec/: loading and starting run-from-RAM targets, initramfs overlays.
 * With disk/, the only modules that include libarchive. */
#ifndef BOOTRINO_KEXEC_KEXEC_H
#define BOOTRINO_KEXEC_KEXEC_H

/* "libarchive 3.6.2 zlib/… liblzma/… libzstd/…" */
const char *kexec_library_version(void);

#endif
