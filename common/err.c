#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local struct br_err last;

int br_fail(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last.detail, sizeof(last.detail), fmt, ap);
	va_end(ap);
	last.rc = rc;
	return rc;
}

const char *br_errdetail(void)
{
	return last.detail;
}

const char *br_errdetail_of(int rc)
{
	return rc && rc == last.rc ? last.detail : "";
}

const char *br_errmsg(int rc)
{
	const char *d = br_errdetail_of(rc);

	return d[0] ? d : br_strerror(rc);
}

void br_errclear(void)
{
	last.rc = 0;
	last.detail[0] = '\0';
}

int br_err_save(struct br_err *e, int rc)
{
	if (!rc || e->rc)
		return rc;
	e->rc = rc;
	snprintf(e->detail, sizeof(e->detail), "%s", br_errdetail_of(rc));
	return rc;
}

int br_err_raise(const struct br_err *e)
{
	if (e->rc) {
		last.rc = e->rc;
		memcpy(last.detail, e->detail, sizeof(last.detail));
	}
	return e->rc;
}

int br_err_recode(int rc)
{
	last.rc = rc;
	return rc;
}

const char *br_strerror(int rc)
{
	int code = rc < 0 ? -rc : rc;

	switch (code) {
	case 0:
		return "success";
	case BR_EUSAGE:
		return "usage error";
	case BR_ECONFIG:
		return "malformed configuration";
	case BR_EHASH:
		return "sha256 mismatch";
	case BR_ESIG:
		return "bad signature";
	case BR_EKEYID:
		return "signed by an untrusted key";
	case BR_EMALFORMED:
		return "malformed input";
	case BR_ETOOBIG:
		return "too large";
	case BR_EROLLBACK:
		return "rollback refused";
	case BR_EINSECURE:
		return "not pinned";
	case BR_EFETCH:
		return "fetch failed";
	case BR_EHTTP:
		return "HTTP error";
	case BR_EREDIRECT:
		return "redirect refused";
	case BR_ETLS:
		return "TLS verification failed";
	case BR_EKEXEC:
		return "kexec failed";
	case BR_EFORMAT:
		return "unsupported image format";
	case BR_EDISK:
		return "disk error";
	default:
		if (code > 0 && code < BR_EBASE)
			return strerror(code);
		return "unknown error";
	}
}

int br_exitcode(int rc)
{
	int code = rc < 0 ? -rc : rc;

	switch (code) {
	case 0:
		return BR_EXIT_OK;
	case BR_EUSAGE:
	case BR_ECONFIG:
		return BR_EXIT_USAGE;
	case BR_EHASH:
	case BR_ESIG:
	case BR_EKEYID:
	case BR_EMALFORMED:
	case BR_ETOOBIG:
	case BR_EROLLBACK:
	case BR_EINSECURE:
		return BR_EXIT_VERIFY;
	case BR_EFETCH:
	case BR_EHTTP:
	case BR_EREDIRECT:
	case BR_ETLS:
		return BR_EXIT_FETCH;
	case BR_EKEXEC:
	case BR_EFORMAT:
		return BR_EXIT_BOOT;
	case BR_EDISK:
		return BR_EXIT_DISK;
	default:
		return BR_EXIT_FAIL;
	}
}
