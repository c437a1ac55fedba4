/* fetch/: streaming downloads with inline SHA-256. The only module that
 * includes libcurl. */
#ifndef BOOTRINO_FETCH_FETCH_H
#define BOOTRINO_FETCH_FETCH_H

/* "libcurl/7.88.1 OpenSSL/3.0.x zlib/…" */
const char *fetch_library_version(void);

#endif
