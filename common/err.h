/* bootrino error codes shared by every module.
 *
 * Mechanism modules return 0 on success or a negative code: either -errno
 * for a plain system error, or one of the -BR_E* codes below when the
 * caller must tell apart *why* (permanent verification failure vs. a
 * transient fetch failure). A one-line detail naming what failed and why
 * goes with the code (struct br_err): br_fail() records both for the
 * calling thread; agent/ prints the detail of the code it was handed.
 */
#ifndef BOOTRINO_COMMON_ERR_H
#define BOOTRINO_COMMON_ERR_H

#include <stddef.h>

enum br_errcode {
	BR_EBASE = 1000,
	/* usage / configuration (exit 2) */
	BR_EUSAGE,  /* bad argument or option */
	BR_ECONFIG, /* malformed config / plan / JSON */
	/* verification (exit 3): permanent, never retried */
	BR_EHASH,      /* sha256 mismatch */
	BR_ESIG,       /* signature does not verify */
	BR_EKEYID,     /* signature made by a key we do not trust */
	BR_EMALFORMED, /* malformed key / signature / signed document */
	BR_ETOOBIG,    /* over a size cap */
	BR_EROLLBACK,  /* signature timestamp older than last seen */
	BR_EINSECURE,  /* artifact without a pin, refused */
	/* fetch (exit 4): transient or server-side */
	BR_EFETCH,    /* connection, timeout, reset, 5xx */
	BR_EHTTP,     /* HTTP status that is not worth retrying (4xx) */
	BR_EREDIRECT, /* redirect refused (scheme, count) */
	BR_ETLS,      /* TLS verification failed */
	/* kexec / boot (exit 5) */
	BR_EKEXEC,  /* kernel refused the image */
	BR_EFORMAT, /* not a kernel / multiboot image we can load */
	/* disk (exit 6) */
	BR_EDISK,
	BR_ELAST
};

/* Process exit codes (docs/design.md, "Contracts"). */
enum br_exit {
	BR_EXIT_OK = 0,
	BR_EXIT_FAIL = 1,
	BR_EXIT_USAGE = 2,
	BR_EXIT_VERIFY = 3,
	BR_EXIT_FETCH = 4,
	BR_EXIT_BOOT = 5,
	BR_EXIT_DISK = 6,
};

#define BR_ERR_DETAIL_MAX 512

/* An error's code and its one-line detail, kept together. Every thread
 * has one (what br_fail() writes); work that runs on another thread (the
 * fetch pipe's sink writer) keeps its first failure in one of its own, as
 * curl keeps the first failure in the transfer's handle, and hands it to
 * the caller's thread with br_err_raise(). */
struct br_err {
	int rc; /* 0: none */
	char detail[BR_ERR_DETAIL_MAX];
};

/* Record a detail line for rc on this thread and return rc, so callers
 * can write `return br_fail(-BR_EHASH, "expected %s, got %s", a, b);`. */
int br_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The detail of the last br_fail() on this thread, or "" if none. */
const char *br_errdetail(void);

/* The detail recorded for rc on this thread, or "" when the last detail
 * belongs to another code (an earlier failure, not this one). */
const char *br_errdetail_of(int rc);

/* What to print for rc: its detail if recorded, else br_strerror(rc). */
const char *br_errmsg(int rc);

/* Forget the detail (start of a new operation). */
void br_errclear(void);

/* Keep this thread's last failure in e, if e holds none yet (the first
 * failure wins); the detail goes with rc only if it was recorded for rc.
 * Returns rc. */
int br_err_save(struct br_err *e, int rc);

/* Make e's failure this thread's (code and detail) and return e->rc. */
int br_err_raise(const struct br_err *e);

/* The same failure, reported from now on as rc: the detail moves to rc. */
int br_err_recode(int rc);

/* Short name of an error code: "sha256 mismatch", "Connection refused"… */
const char *br_strerror(int rc);

/* Exit code class of an error code (docs/design.md, "Contracts"). */
int br_exitcode(int rc);

#endif
