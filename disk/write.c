/* Writing a verified boot-disk image to a disk: stream it through
 * libarchive (zstd), write the partitions' regions with zero runs zeroed
 * without data (every write read back and compared right after it), the
 * backup GPT, then the first MiB last; fsync, BLKRRPART, the GPTs read
 * back. See disk/disk.h and docs/disk.md. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "disk/disk.h"

#define BLK DISK_MIB /* buffer and zero-run unit; every region is 1 MiB aligned */
#define HOLD_MIN 4   /* MiB of buffers between the stream and the I/O */
#define HOLD_MAX 48  /* (a sixteenth of MemAvailable) */
#define CHUNK_MAX 4  /* buffers per write: larger O_DIRECT writes, fewer */
#define NSLOT_MAX HOLD_MAX
#define NWORKER 2 /* writes (each read back) in flight at once */
#define NJOB 256  /* queued jobs (zeroing needs no buffer) */

/* The I/O runs in NWORKER threads of their own, so that decompressing and
 * checking for zeros overlap with writing, and more than one write is in
 * flight (one thread did one after the other at queue depth 1). A write
 * is up to CHUNK_MAX consecutive data blocks (pwritev of their 1 MiB
 * buffers). Each write is read back by the thread that wrote it, as soon
 * as the write completed (O_DIRECT: the device's answer, not the page
 * cache), and compared byte for byte with the buffers it was written
 * from, which the writer still holds: no second pass over the disk at
 * the end, no hash of either side. Jobs are handed out in the order they
 * were queued and may complete out of order; they never overlap (each
 * byte of the disk is written at most once per install), `done` counts
 * the jobs finished without a gap, and fsync waits for all of them, so
 * "the first MiB last" still holds. The first failure is kept (errno and
 * offset: the error detail is per thread) and later jobs are skipped, so
 * the stream side never waits forever.
 *
 * Nothing is written before the whole image has been decompressed once
 * (a truncated or corrupt stream must leave the disk untouched): the
 * jobs wait behind a gate. When the data of the whole image fits in the
 * buffers (the boot-disk image's 27 MiB on a machine with 768 MiB
 * available), the writing side's own stream reaches the image's end
 * first and opens the gate: one decompression. When the writing side
 * would have to wait for a held buffer or job, the check starts in a
 * thread of its own on a second stream, and opens the gate when it
 * passed (or shuts it for good, every job dropped, when it failed): the
 * writing side keeps at most HOLD_MIN..HOLD_MAX MiB meanwhile, a small
 * instance streams. */
enum io_kind { IO_WRITE, IO_ZERO, IO_READ, IO_COMPARE };

struct io_job {
	enum io_kind kind;
	uint64_t off;
	uint64_t len;
	unsigned nseg;
	uint8_t *seg[CHUNK_MAX]; /* IO_WRITE: the 1 MiB buffers, in order */
};

struct ioq;

struct worker {
	struct ioq *q;
	unsigned id;
};

struct ioq {
	pthread_t th[NWORKER];
	struct worker wk[NWORKER];
	unsigned nth;
	int inited; /* mu and cv */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd, is_blk, direct, stop;
	int gate; /* 0: the image is being checked; 1: it passed; -1: it failed */
	pthread_t vth;
	int vrunning;
	int vcancel; /* atomic: the check stops early (not needed any more) */
	int vrc;     /* the check's failure and its detail */
	char vwhy[512];
	unsigned chunk; /* buffers per write: 1..CHUNK_MAX */
	unsigned nslot;
	uint8_t *buf[NSLOT_MAX];     /* BLK each, aligned for O_DIRECT, used in turn */
	uint64_t buf_job[NSLOT_MAX]; /* 1 + the job that last used buf[i]; 0: none */
	uint64_t nbuf;		     /* buffers handed to jobs so far */
	uint8_t *cbuf[NWORKER];	     /* chunk MiB each: a worker's read-back */
	uint8_t *zbuf;		     /* BLK of zeros: BLKZEROOUT / holes not available */
	struct io_job job[NJOB];
	uint8_t fin[NJOB];		    /* job n finished (job[n % NJOB]) */
	uint64_t queued, next, done;	    /* handed out: next; finished without a gap: done */
	uint64_t written, zeroed, verified; /* by the jobs that ran */
	int err; /* the lowest failure: errno (EIO for a short transfer, EBADMSG: differs) */
	enum io_kind err_kind;
	uint64_t err_off;
};

/* The compressed image, read with pread: two streams share its fd. */
struct src {
	int fd;
	off_t off;
	uint8_t *buf;
};

struct wctx {
	int fd;
	struct src src;
	int is_blk;
	const char *what;
	const struct verify_artifact *img;
	uint64_t img_size;
	struct archive *ar;
	const uint8_t *cp; /* the rest of libarchive's current chunk */
	size_t clen;
	uint64_t img_off;  /* bytes of the image consumed */
	uint64_t zero_off; /* pending zero run [zero_off, zero_off + zero_len) */
	uint64_t zero_len;
	unsigned pend;	   /* pending data [data_off, data_off + data_len) in the */
	uint64_t data_off; /* pend buffers after the last one handed to a job */
	uint64_t data_len;
	struct disk_write_report *rep;
	struct ioq q;
	int *cancel; /* the check's stream: stop when set */
};

static int validate_start(struct wctx *w);

static int set_step(struct wctx *w, const char *step)
{
	snprintf(w->rep->step, sizeof(w->rep->step), "%s", step);
	br_log(BR_LOG_DEBUG, "disk: %s: %s", w->what, step);
	return 0;
}

static int pwrite_all(struct wctx *w, const void *p, size_t len, uint64_t off)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = pwrite(w->fd, b, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return br_fail(-BR_EDISK, "%s: write at byte %llu: %s", w->what,
				       (unsigned long long)off, n < 0 ? strerror(errno) : "short");
		b += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int io_rw(int fd, enum io_kind kind, uint8_t *b, uint64_t len, uint64_t off,
		 uint64_t *err_off)
{
	while (len) {
		ssize_t n = kind == IO_READ ? pread(fd, b, len, (off_t)off)
					    : pwrite(fd, b, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err_off = off;
			return n < 0 ? errno : EIO;
		}
		b += n;
		len -= (uint64_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* pwritev of the job's buffers (BLK each but the last), resumed where a
 * short write stopped. */
static int io_writev(int fd, const struct io_job *j, uint64_t *err_off)
{
	uint64_t done = 0;

	while (done < j->len) {
		struct iovec iov[CHUNK_MAX];
		int n_iov = 0;
		ssize_t n;

		for (unsigned k = (unsigned)(done / BLK); k < j->nseg; k++) {
			uint64_t s = (uint64_t)k * BLK, e = s + BLK < j->len ? s + BLK : j->len;
			uint64_t from = done > s ? done : s;

			iov[n_iov++] = (struct iovec){j->seg[k] + (from - s), (size_t)(e - from)};
		}
		n = pwritev(fd, iov, n_iov, (off_t)(j->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err_off = j->off + done;
			return n < 0 ? errno : EIO;
		}
		done += (uint64_t)n;
	}
	return 0;
}

/* Write the job's data, read it back into cb and compare. Without
 * O_DIRECT (a file system that refuses it) the range is written out and
 * dropped from the page cache first, so the read still reaches the
 * device. */
static int io_write_check(struct ioq *q, const struct io_job *j, uint8_t *cb, uint64_t *err_off,
			  enum io_kind *kind)
{
	int e = io_writev(q->fd, j, err_off);

	*kind = IO_WRITE;
	if (e)
		return e;
	if (!q->direct) {
		if (sync_file_range(q->fd, (off_t)j->off, (off_t)j->len,
				    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					SYNC_FILE_RANGE_WAIT_AFTER) < 0) {
			*err_off = j->off;
			return errno;
		}
		(void)posix_fadvise(q->fd, (off_t)j->off, (off_t)j->len, POSIX_FADV_DONTNEED);
	}
	*kind = IO_READ;
	e = io_rw(q->fd, IO_READ, cb, j->len, j->off, err_off);
	if (e)
		return e;
	*kind = IO_COMPARE;
	for (unsigned k = 0; k < j->nseg; k++) {
		uint64_t s = (uint64_t)k * BLK, n = j->len - s < BLK ? j->len - s : BLK;

		if (memcmp(j->seg[k], cb + s, n) == 0)
			continue;
		for (uint64_t i = 0; i < n; i++)
			if (j->seg[k][i] != cb[s + i]) {
				*err_off = j->off + s + i;
				break;
			}
		return EBADMSG;
	}
	return 0;
}

/* Zero [off, off+len) without sending the zeros when the device can:
 * BLKZEROOUT on a block device (WRITE ZEROES, or the kernel writes them),
 * a hole in a regular file; else write them. */
static int io_zero(struct ioq *q, uint64_t off, uint64_t len, uint64_t *err_off)
{
	if (q->is_blk) {
		uint64_t r[2] = {off, len};

		if (ioctl(q->fd, BLKZEROOUT, r) == 0)
			return 0;
	} else if (fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			     (off_t)len) == 0) {
		return 0;
	}
	for (uint64_t o = 0; o < len; o += BLK) {
		int e = io_rw(q->fd, IO_WRITE, q->zbuf, len - o < BLK ? len - o : BLK, off + o,
			      err_off);

		if (e)
			return e;
	}
	return 0;
}

static void *io_thread(void *arg)
{
	struct ioq *q = ((struct worker *)arg)->q;
	uint8_t *cb = q->cbuf[((struct worker *)arg)->id];

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->stop && q->gate >= 0 && (q->gate == 0 || q->next == q->queued))
			pthread_cond_wait(&q->cv, &q->mu);
		/* a held job never runs unless the image passed its check */
		if (q->gate != 1 || q->next == q->queued)
			break;
		{
			uint64_t n = q->next++;
			struct io_job j = q->job[n % NJOB];
			int skip = q->err != 0, e = 0;
			uint64_t eoff = 0;
			enum io_kind kind = j.kind;

			pthread_mutex_unlock(&q->mu);
			if (!skip)
				e = j.kind == IO_ZERO ? io_zero(q, j.off, j.len, &eoff)
						      : io_write_check(q, &j, cb, &eoff, &kind);
			pthread_mutex_lock(&q->mu);
			if (!skip && !e && j.kind == IO_WRITE) {
				q->written += j.len;
				q->verified += j.len;
			} else if (!skip && !e && j.kind == IO_ZERO) {
				q->zeroed += j.len;
			}
			/* the lowest failing byte, not the first thread to
			 * report: two jobs in flight fail together when the
			 * kernel merged their writes into one request, and
			 * either may get here first */
			if (e && (!q->err || eoff < q->err_off)) {
				q->err = e;
				q->err_kind = kind;
				q->err_off = eoff;
			}
			q->fin[n % NJOB] = 1;
			while (q->done < q->next && q->fin[q->done % NJOB])
				q->fin[q->done++ % NJOB] = 0;
			pthread_cond_broadcast(&q->cv);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* A sixteenth of MemAvailable in MiB, HOLD_MIN..HOLD_MAX. */
static unsigned hold_mib(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned n;

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
				break;
		fclose(f);
	}
	n = (unsigned)(kb / 1024 / 16);
	return n < HOLD_MIN ? HOLD_MIN : n > HOLD_MAX ? HOLD_MAX : n;
}

static int io_start(struct ioq *q, int fd, int is_blk)
{
	unsigned hold = hold_mib();

	q->fd = fd;
	q->is_blk = is_blk;
	/* the held data and the workers' read-back buffers share the hold:
	 * writes of 4 MiB from 32 MiB on, 1 MiB on a small machine */
	q->chunk = hold / 8 < 1 ? 1 : hold / 8 > CHUNK_MAX ? CHUNK_MAX : hold / 8;
	q->nslot = hold - NWORKER * q->chunk;
	if (q->nslot < q->chunk)
		q->nslot = q->chunk;
	if (posix_memalign((void **)&q->zbuf, 4096, BLK))
		return -ENOMEM;
	memset(q->zbuf, 0, BLK);
	for (unsigned i = 0; i < NWORKER; i++)
		if (posix_memalign((void **)&q->cbuf[i], 4096, (size_t)q->chunk * BLK))
			return -ENOMEM;
	if (pthread_mutex_init(&q->mu, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&q->cv, NULL)) {
		pthread_mutex_destroy(&q->mu);
		return -ENOMEM;
	}
	q->inited = 1;
	for (q->nth = 0; q->nth < NWORKER; q->nth++) {
		q->wk[q->nth] = (struct worker){q, q->nth};
		if (pthread_create(&q->th[q->nth], NULL, io_thread, &q->wk[q->nth]))
			return q->nth ? 0 : -EAGAIN; /* fewer in flight still works */
	}
	return 0;
}

/* The step a queued job at byte off belongs to. The I/O threads report
 * a failure at this thread's next wait, by when the step has moved on
 * (an ESP write failing while the state is queued, or at the fsync):
 * the step named must be the region that failed, so that the line leads
 * to the right row of docs/disk.md's failure table. A data read-back
 * runs right after its write, before the partition table changes: the
 * disk is then as after a write error in that region, so it is named by
 * the region too ("check" is the partition tables' read-back). */
static const char *region_step(const struct disk_layout *l, uint64_t off)
{
	static const char *const part_step[DISK_NPARTS] = {"esp", "state", "data"};

	for (int k = 0; k < DISK_NPARTS; k++)
		if (off >= l->part[k].start && off - l->part[k].start < l->part[k].size)
			return part_step[k];
	if (off < DISK_MIB)
		return "first-mib";
	if (l->sector && off >= l->backup_entries * l->sector)
		return "backup-gpt";
	return NULL;
}

/* The failure the I/O threads kept, as this thread's error. */
static int io_error(struct wctx *w)
{
	static const char *const what[] = {"write", "zeroing", "read back", "read back"};
	struct ioq *q = &w->q;
	const char *step = region_step(&w->rep->layout, q->err_off);

	if (step)
		set_step(w, step);
	if (q->err == EBADMSG) {
		return br_fail(-BR_EHASH,
			       "%s: what was written does not read back the same "
			       "(first difference at byte %llu)",
			       w->what, (unsigned long long)q->err_off);
	}
	return br_fail(-BR_EDISK, "%s: %s at byte %llu: %s", w->what, what[q->err_kind],
		       (unsigned long long)q->err_off, strerror(q->err));
}

/* Wait until jobs 0..n-1 are done (every job: n = queued). A wait behind
 * a shut gate starts the check (the data no longer fits in the buffers). */
static int io_wait(struct wctx *w, uint64_t n)
{
	struct ioq *q = &w->q;
	int e, gate, rc = 0;

	pthread_mutex_lock(&q->mu);
	if (q->done < n && q->gate == 0 && !q->vrunning) {
		pthread_mutex_unlock(&q->mu);
		rc = validate_start(w);
		if (rc)
			return rc;
		pthread_mutex_lock(&q->mu);
	}
	while (q->done < n && q->gate >= 0 && q->nth)
		pthread_cond_wait(&q->cv, &q->mu);
	e = q->err;
	gate = q->gate;
	pthread_mutex_unlock(&q->mu);
	if (gate < 0) {
		set_step(w, "validate");
		return br_fail(q->vrc, "%s", q->vwhy);
	}
	return e ? io_error(w) : 0;
}

static int gate_passed(struct ioq *q)
{
	int g;

	pthread_mutex_lock(&q->mu);
	g = q->gate;
	pthread_mutex_unlock(&q->mu);
	return g == 1;
}

/* The writing side's own stream read the whole image: the gate opens
 * without waiting for the check, which stops if it runs. */
static void gate_open(struct ioq *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->gate == 0)
		q->gate = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	__atomic_store_n(&q->vcancel, 1, __ATOMIC_RELAXED);
}

/* The buffer for the next data block: the pend-th after the last one
 * handed to a job, once the job that used it before is done. */
static int io_buf(struct wctx *w, uint8_t **buf)
{
	struct ioq *q = &w->q;
	unsigned i = (unsigned)((q->nbuf + w->pend) % q->nslot);
	int rc = q->buf_job[i] ? io_wait(w, q->buf_job[i]) : 0;

	if (!rc && !q->buf[i] && posix_memalign((void **)&q->buf[i], 4096, BLK))
		rc = -ENOMEM;
	*buf = q->buf[i];
	return rc;
}

/* Queue a job: IO_ZERO, or IO_WRITE of the nseg buffers after the last
 * one handed to a job (in use until it is done). */
static int io_queue(struct wctx *w, enum io_kind kind, uint64_t off, uint64_t len, unsigned nseg)
{
	struct ioq *q = &w->q;
	int rc = q->queued >= NJOB ? io_wait(w, q->queued - NJOB + 1) : 0;
	struct io_job *j;

	if (rc)
		return rc;
	pthread_mutex_lock(&q->mu);
	j = &q->job[q->queued % NJOB];
	*j = (struct io_job){.kind = kind, .off = off, .len = len, .nseg = nseg};
	q->queued++;
	for (unsigned k = 0; k < nseg; k++) {
		unsigned i = (unsigned)(q->nbuf++ % q->nslot);

		j->seg[k] = q->buf[i];
		q->buf_job[i] = q->queued;
	}
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static void io_stop(struct ioq *q)
{
	if (q->vrunning) {
		__atomic_store_n(&q->vcancel, 1, __ATOMIC_RELAXED);
		pthread_join(q->vth, NULL);
		q->vrunning = 0;
	}
	if (q->inited) {
		pthread_mutex_lock(&q->mu);
		q->stop = 1;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		for (unsigned i = 0; i < q->nth; i++)
			pthread_join(q->th[i], NULL);
		q->nth = 0;
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		q->inited = 0;
	}
	for (int i = 0; i < NSLOT_MAX; i++)
		free(q->buf[i]);
	for (int i = 0; i < NWORKER; i++)
		free(q->cbuf[i]);
	free(q->zbuf);
}

/* Queue the zeroing of [off, off+len) (see io_zero). */
static int zero_range(struct wctx *w, uint64_t off, uint64_t len)
{
	return len ? io_queue(w, IO_ZERO, off, len, 0) : 0;
}

static int flush_zeros(struct wctx *w)
{
	int rc = zero_range(w, w->zero_off, w->zero_len);

	w->zero_len = 0;
	return rc;
}

/* Queue the pending data (written, read back and compared by a worker). */
static int flush_data(struct wctx *w)
{
	int rc = w->pend ? io_queue(w, IO_WRITE, w->data_off, w->data_len, w->pend) : 0;

	w->pend = 0;
	w->data_len = 0;
	return rc;
}

/* Next len bytes of the image into dst (exactly len, or an error). */
static int all_zero(const uint8_t *p, size_t len)
{
	static const uint8_t z[4096];

	for (size_t o = 0; o < len; o += sizeof(z))
		if (memcmp(p + o, z, len - o < sizeof(z) ? len - o : sizeof(z)) != 0)
			return 0;
	return 1;
}

/* The next decompressed chunk (libarchive's own buffer: no copy). */
static int img_chunk(struct wctx *w)
{
	const void *p = NULL;
	size_t size = 0;
	la_int64_t offset = 0;
	int r;

	while (!w->clen) {
		r = archive_read_data_block(w->ar, &p, &size, &offset);
		if (r == ARCHIVE_EOF)
			return br_fail(
			    -BR_EMALFORMED,
			    "%s: boot-disk image ends at byte %llu, before its partitions do",
			    w->what, (unsigned long long)w->img_off);
		if (r < ARCHIVE_WARN || (uint64_t)offset != w->img_off || (size && !p))
			return br_fail(-BR_EMALFORMED, "%s: boot-disk image: %s", w->what,
				       archive_error_string(w->ar) ? archive_error_string(w->ar)
								   : "read error");
		w->cp = p;
		w->clen = size;
	}
	return 0;
}

/* The next len bytes of the image: copied into dst, or (dst NULL) only
 * read; *zero (when not NULL) says whether they were all zeros, in which
 * case nothing was copied unless dst_always. */
static int img_take(struct wctx *w, uint8_t *dst, size_t len, int *zero)
{
	size_t got = 0;
	int z = 1, rc;

	while (got < len) {
		size_t m;

		rc = img_chunk(w);
		if (rc)
			return rc;
		if (!w->cp)
			return br_fail(-BR_EMALFORMED, "%s: boot-disk image: no data", w->what);
		m = w->clen < len - got ? w->clen : len - got;
		if (zero && z && !all_zero(w->cp, m)) {
			/* first data in this block: what came before was zeros */
			z = 0;
			if (dst)
				memset(dst, 0, got);
		}
		if (dst && (!zero || !z))
			memcpy(dst + got, w->cp, m);
		w->cp += m;
		w->clen -= m;
		w->img_off += m;
		got += m;
	}
	if (zero)
		*zero = z;
	return 0;
}

static int img_read(struct wctx *w, uint8_t *dst, size_t len)
{
	return img_take(w, dst, len, NULL);
}

/* "PREFIX: detail" (copied first: br_fail() formats into the buffer
 * br_errdetail() points at). */
static int wrap(int rc, const char *prefix)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", br_errdetail());
	return br_fail(rc, "%s: %s", prefix, why);
}

/* Copy the image's bytes [ext.start, ext.start + ext.size) to the same
 * place on the disk (write=0: read past them). The image is at
 * w->img_off <= ext.start. */
static int copy_region(struct wctx *w, const struct disk_extent *x, int write)
{
	int rc, zero = 0;

	while (w->img_off < x->start) {
		size_t n = x->start - w->img_off < BLK ? (size_t)(x->start - w->img_off) : BLK;

		rc = img_read(w, NULL, n);
		if (rc)
			return rc;
	}
	for (uint64_t off = x->start; off < x->start + x->size; off += BLK) {
		size_t n =
		    x->start + x->size - off < BLK ? (size_t)(x->start + x->size - off) : BLK;
		uint8_t *buf = NULL;

		if (!write) {
			rc = img_read(w, NULL, n);
			if (rc)
				return rc;
			continue;
		}
		/* consecutive data blocks go out in one write, up to a chunk */
		if (w->pend == w->q.chunk) {
			rc = flush_data(w);
			if (rc)
				return rc;
		}
		rc = io_buf(w, &buf);
		if (!rc)
			rc = img_take(w, buf, n, &zero);
		if (rc)
			return rc;
		if (zero) {
			rc = flush_data(w);
			if (!rc && w->zero_len && w->zero_off + w->zero_len != off)
				rc = flush_zeros(w);
			if (rc)
				return rc;
			if (!w->zero_len)
				w->zero_off = off;
			w->zero_len += n;
			continue;
		}
		rc = flush_zeros(w);
		if (rc)
			return rc;
		if (!w->pend)
			w->data_off = off;
		w->pend++;
		w->data_len += n;
	}
	rc = flush_data(w);
	return rc ? rc : flush_zeros(w);
}

static int read_back(struct wctx *w, uint64_t off, size_t len, uint8_t *dst)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(w->fd, dst + got, len - got, (off_t)(off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return br_fail(-BR_EDISK, "%s: read back at byte %llu: %s", w->what,
				       (unsigned long long)off + got,
				       n < 0 ? strerror(errno) : "short");
		got += (size_t)n;
	}
	w->rep->verified += len;
	return 0;
}

static int sync_dev(struct wctx *w)
{
	int rc = w->q.inited ? io_wait(w, w->q.queued) : 0;

	if (rc)
		return rc;
	if (fsync(w->fd) < 0)
		return br_fail(-BR_EDISK, "%s: fsync: %s", w->what, strerror(errno));
	return 0;
}

/* Drop cached pages so that the check reads the medium, not our writes. */
static void drop_cache(struct wctx *w)
{
	if (w->is_blk)
		(void)ioctl(w->fd, BLKFLSBUF, 0);
	(void)posix_fadvise(w->fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int ext4_magic(struct wctx *w, uint64_t part_start)
{
	uint8_t sb[2];

	return pread(w->fd, sb, 2, (off_t)(part_start + 1024 + 56)) == 2 && sb[0] == 0x53 &&
	       sb[1] == 0xef;
}

#define SRC_BLK (64 << 10)

static la_ssize_t src_read(struct archive *a, void *arg, const void **out)
{
	struct src *s = arg;
	ssize_t n;

	do
		n = pread(s->fd, s->buf, SRC_BLK, s->off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	s->off += n;
	*out = s->buf;
	return n;
}

/* Start the decompressed stream at byte 0 of the image. */
static int stream_open(struct wctx *w, const struct verify_artifact *img)
{
	struct archive_entry *ae;
	int ifd = verify_artifact_fd(img);

	if (ifd < 0)
		return ifd;
	if (!w->src.buf && !(w->src.buf = malloc(SRC_BLK)))
		return -ENOMEM;
	w->src.fd = ifd;
	w->src.off = 0;
	w->ar = archive_read_new();
	if (!w->ar)
		return -ENOMEM;
	archive_read_support_filter_zstd(w->ar);
	archive_read_support_format_raw(w->ar);
	if (archive_read_open(w->ar, &w->src, NULL, src_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(w->ar, &ae) != ARCHIVE_OK)
		return br_fail(-BR_EMALFORMED, "%s: %s", verify_artifact_path(img),
			       archive_error_string(w->ar) ? archive_error_string(w->ar)
							   : "not a boot-disk image");
	return 0;
}

/* Read the stream to its end, which must be img_size. */
static int stream_drain(struct wctx *w, const struct verify_artifact *img, uint64_t img_size)
{
	while (w->img_off < img_size) {
		size_t n = img_size - w->img_off < BLK ? (size_t)(img_size - w->img_off) : BLK;
		int rc = img_read(w, NULL, n);

		if (rc)
			return rc;
		if (w->cancel && __atomic_load_n(w->cancel, __ATOMIC_RELAXED))
			return -ECANCELED;
	}
	uint8_t one;

	if (w->clen || archive_read_data(w->ar, &one, 1) != 0)
		return br_fail(-BR_EMALFORMED, "%s: boot-disk image longer than its GPT says",
			       verify_artifact_path(img));
	return 0;
}

/* The check: the whole image decompressed on a stream of its own; opens
 * the gate or shuts it for good, unless the writing side's stream
 * already opened it (or the install stopped: cancelled). */
static void *validate_thread(void *arg)
{
	struct wctx *w = arg;
	struct ioq *q = &w->q;
	struct wctx v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.what = w->what;
	v.cancel = &q->vcancel;
	rc = stream_open(&v, w->img);
	if (!rc)
		rc = stream_drain(&v, w->img, w->img_size);
	pthread_mutex_lock(&q->mu);
	if (q->gate == 0 && rc != -ECANCELED) {
		if (rc) {
			q->vrc = rc;
			snprintf(q->vwhy, sizeof(q->vwhy), "%s",
				 br_errdetail()[0] ? br_errdetail() : strerror(rc < 0 ? -rc : rc));
		}
		q->gate = rc ? -1 : 1;
	}
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (v.ar)
		archive_read_free(v.ar);
	free(v.src.buf);
	return NULL;
}

static int validate_start(struct wctx *w)
{
	if (pthread_create(&w->q.vth, NULL, validate_thread, w))
		return -EAGAIN;
	w->q.vrunning = 1;
	return 0;
}

static int disk_geometry(struct wctx *w, uint64_t *size, uint32_t *sector)
{
	struct stat st;
	int ssz = 512;

	if (fstat(w->fd, &st) < 0)
		return br_fail(-errno, "%s: %s", w->what, strerror(errno));
	w->is_blk = S_ISBLK(st.st_mode);
	if (w->is_blk) {
		if (ioctl(w->fd, BLKGETSIZE64, size) < 0 || ioctl(w->fd, BLKSSZGET, &ssz) < 0)
			return br_fail(-BR_EDISK, "%s: size: %s", w->what, strerror(errno));
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		return br_fail(-BR_EDISK, "%s: not a block device or a file", w->what);
	}
	*sector = (uint32_t)ssz;
	return 0;
}

int disk_write_image(const struct verify_artifact *img, int fd, const char *what,
		     const struct disk_write_opts *o, struct disk_write_report *rep)
{
	struct wctx w;
	struct disk_gpt ig, dg;
	struct disk_extent iext[DISK_NPARTS], dext[DISK_NPARTS];
	uint8_t *head_img = NULL, *head = NULL, *tail = NULL, *check = NULL;
	uint8_t disk_guid[16], guids[DISK_NPARTS][16];
	uint64_t disk_size = 0, img_size;
	uint32_t sector = 0;
	size_t tail_len = 0;
	int rc, write_state = 1;

	memset(&w, 0, sizeof(w));
	memset(rep, 0, sizeof(*rep));
	w.fd = fd;
	w.what = what;
	w.rep = rep;
	set_step(&w, "open");
	rc = disk_geometry(&w, &disk_size, &sector);
	if (rc)
		return rc;
	if (o && o->sector)
		sector = o->sector;
	if (posix_memalign((void **)&head_img, 4096, BLK) ||
	    posix_memalign((void **)&head, 4096, BLK) ||
	    posix_memalign((void **)&check, 4096, BLK)) {
		rc = -ENOMEM;
		goto out;
	}
	rc = stream_open(&w, img);
	if (rc)
		goto out;

	/* the image's own GPT says where its partitions are (512-byte LBAs) */
	set_step(&w, "image-gpt");
	rc = img_read(&w, head_img, BLK);
	if (!rc)
		rc = disk_gpt_parse(head_img, BLK, 512, &ig);
	if (!rc)
		rc = disk_gpt_extents(&ig, 512, 0, iext);
	if (rc) {
		rc = wrap(rc, verify_artifact_path(img));
		goto out;
	}
	img_size = (ig.alt_lba + 1) * 512;
	/* the whole stream once, writing nothing, before anything is written:
	 * a truncated or corrupt image (zstd checks its frames) fails with
	 * the disk untouched; when its data does not fit in the buffers, it
	 * costs one more decompression of the image (in a thread of its own,
	 * see struct ioq), not its size in RAM */
	w.img = img;
	w.img_size = img_size;
	rc = io_start(&w.q, fd, w.is_blk);
	if (rc)
		goto out;
	rc = disk_layout_compute(disk_size, sector, &iext[DISK_PART_ESP], &iext[DISK_PART_STATE],
				 &rep->layout);
	if (rc) {
		rc = wrap(rc, what);
		goto out;
	}

	/* a disk that already holds bootrino's layout at the same places is
	 * updated in place: its GPT, its data partition and its state stay */
	rc = read_back(&w, 0, BLK, check);
	if (rc)
		goto out;
	rep->verified = 0;
	br_errclear();
	if (disk_gpt_parse(check, BLK, sector, &dg) == 0 &&
	    disk_gpt_extents(&dg, sector, 1, dext) == 0 &&
	    memcmp(&dext[DISK_PART_ESP], &iext[DISK_PART_ESP], sizeof(dext[0])) == 0 &&
	    memcmp(&dext[DISK_PART_STATE], &iext[DISK_PART_STATE], sizeof(dext[0])) == 0 &&
	    dext[DISK_PART_DATA].start + dext[DISK_PART_DATA].size <= disk_size) {
		rep->updated = 1;
		rep->layout.part[DISK_PART_DATA] = dext[DISK_PART_DATA];
		/* issue-9 state (slots, anti-rollback) lives there: keep a
		 * state file system that exists */
		write_state = !ext4_magic(&w, dext[DISK_PART_STATE].start);
	}
	br_errclear();

	/* O_DIRECT: the image does not pass through the page cache (a small
	 * instance has no RAM for it); not every file system allows it */
	if (!(o && o->no_direct))
		w.q.direct = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT) == 0;

	set_step(&w, "esp");
	rc = copy_region(&w, &iext[DISK_PART_ESP], 1);
	if (!rc) {
		set_step(&w, "state");
		rc = copy_region(&w, &iext[DISK_PART_STATE], write_state);
	}
	/* the rest of the image (the image's own backup GPT) is read, not
	 * written: the disk gets a GPT of its own size */
	if (!rc)
		rc = stream_drain(&w, img, img_size);
	if (rc) {
		/* a stream that breaks before the check passed: nothing held
		 * was written (io_stop drops it) */
		if (!gate_passed(&w.q))
			set_step(&w, "validate");
		goto out;
	}
	/* this stream reached the image's end: it decompressed whole */
	gate_open(&w.q);

	if (!rep->updated) {
		/* bootrino-data is created once: its first MiB zeroed, so that
		 * the target sees an empty partition and formats it */
		set_step(&w, "data");
		rc = zero_range(&w, rep->layout.part[DISK_PART_DATA].start, DISK_MIB);
		if (rc)
			goto out;
		set_step(&w, "backup-gpt");
		if (getrandom(disk_guid, sizeof(disk_guid), 0) != sizeof(disk_guid) ||
		    getrandom(guids, sizeof(guids), 0) != sizeof(guids)) {
			rc = br_fail(-errno, "getrandom: %s", strerror(errno));
			goto out;
		}
		/* RFC 4122 version 4 GUIDs (the on-disk byte order of field 3) */
		for (int k = -1; k < DISK_NPARTS; k++) {
			uint8_t *g = k < 0 ? disk_guid : guids[k];

			g[7] = (uint8_t)((g[7] & 0x0f) | 0x40);
			g[8] = (uint8_t)((g[8] & 0x3f) | 0x80);
		}
		tail_len = ((size_t)rep->layout.entry_sectors + 1) * sector;
		if (posix_memalign((void **)&tail, 4096, tail_len)) {
			rc = -ENOMEM;
			goto out;
		}
		rc = disk_gpt_build(&rep->layout, head_img, disk_guid, (const uint8_t(*)[16])guids,
				    head, BLK, tail, tail_len);
		if (!rc)
			rc = sync_dev(&w);
		if (!rc)
			rc = pwrite_all(&w, tail, tail_len, rep->layout.backup_entries * sector);
		if (!rc)
			rc = sync_dev(&w);
		if (rc)
			goto out;
		/* last: until now the old partition table still describes the
		 * disk, afterwards bootrino's */
		set_step(&w, "first-mib");
		rc = pwrite_all(&w, head, BLK, 0);
		if (rc)
			goto out;
		rep->written += BLK + tail_len;
	}
	set_step(&w, "fsync");
	rc = sync_dev(&w);
	if (rc)
		goto out;
	if (w.is_blk && !(o && o->no_rereadpt)) {
		set_step(&w, "rereadpt");
		/* the kernel must see the new table before anyone mounts it */
		if (ioctl(fd, BLKRRPART) < 0) {
			rc = br_fail(-BR_EDISK, "%s: re-reading the partition table: %s", what,
				     strerror(errno));
			goto out;
		}
	}

	/* every chunk written with data was read back and compared by the
	 * worker that wrote it, right after its write (io_write_check); the
	 * zero runs are the kernel's (BLKZEROOUT or a hole, acknowledged):
	 * reading 600 MiB of zeros back would double the install for nothing
	 * the image carries. What is left: the partition tables. */
	set_step(&w, "check");
	drop_cache(&w);
	if (!rep->updated) {
		rc = read_back(&w, 0, BLK, check);
		if (!rc && memcmp(check, head, BLK) != 0)
			rc = br_fail(-BR_EHASH,
				     "%s: the partition table does not read back the same", what);
		if (!rc)
			rc = read_back(&w, rep->layout.backup_entries * sector, tail_len, check);
		if (!rc && memcmp(check, tail, tail_len) != 0)
			rc = br_fail(-BR_EHASH, "%s: the backup GPT does not read back the same",
				     what);
		if (rc)
			goto out;
	}
	rep->image_bytes = w.img_off;
	set_step(&w, "done");
out:
	io_stop(&w.q);
	rep->written += w.q.written;
	rep->zeroed += w.q.zeroed;
	rep->verified += w.q.verified;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT);
	if (w.ar)
		archive_read_free(w.ar);
	free(w.src.buf);
	free(tail);
	free(check);
	free(head);
	free(head_img);
	return rc;
}
