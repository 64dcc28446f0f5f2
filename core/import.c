/*
 * Reading record files: the input (a file, standard input or memory; gzip or
 * zstd), format detection, the threaded block pipeline of the line formats,
 * and in-order delivery to the sink. The format mappings are in
 * core/import_formats.c.
 */
#include "import_int.h"
#include "fw/error.h"
#include "fw/json.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

static const char *const format_names[] = {
	"auto", "jsonl", "tau-bench", "swe-agent", "hh-rlhf",
};

int
fw_format_parse(fw_format *out, const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (name && strcmp(name, format_names[i]) == 0) {
			*out = (fw_format)i;
			return 0;
		}
	return fw_error_set(FW_EINVALID, "unknown format '%s': valid formats are "
	    "auto, jsonl, tau-bench, swe-agent, hh-rlhf", name ? name : "(null)");
}

const char *
fw_format_name(fw_format f)
{
	if ((unsigned)f < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[f];
	return "unknown";
}

/* --- input --- */

enum comp { COMP_NONE, COMP_GZIP, COMP_ZSTD };

#define RAW_CAP (1u << 20)

struct src {
	const char *name;
	int fd;			/* -1: memory */
	const unsigned char *mem;
	size_t memlen, mempos;
	enum comp comp;
	z_stream z;
	int z_live, z_end;	/* z initialised; last member ended */
	ZSTD_DStream *zd;
	size_t zd_last;		/* last ZSTD_decompressStream result: 0 at a frame end */
	unsigned char *raw;	/* compressed input, or sniffed bytes */
	size_t raw_len, raw_pos, raw_cap;
	int raw_eof;
	uint64_t file_bytes, total;
};

/* Reads up to cap bytes of the file as stored. */
static int
raw_read(struct src *s, void *dst, size_t cap, size_t *n)
{
	*n = 0;
	if (s->fd < 0) {
		size_t k = s->memlen - s->mempos < cap ? s->memlen - s->mempos : cap;
		memcpy(dst, s->mem + s->mempos, k);
		s->mempos += k;
		*n = k;
	} else {
		ssize_t r;
		do
			r = read(s->fd, dst, cap);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return fw_error_errno("cannot read %s", s->name);
		*n = (size_t)r;
	}
	s->file_bytes += *n;
	return 0;
}

/* Refills s->raw when it is used up. */
static int
raw_fill(struct src *s)
{
	size_t n;
	int rc;

	if (s->raw_pos < s->raw_len || s->raw_eof)
		return 0;
	if ((rc = raw_read(s, s->raw, s->raw_cap, &n)) < 0)
		return rc;
	s->raw_pos = 0;
	s->raw_len = n;
	s->raw_eof = n == 0;
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
src_open(struct src *s, const char *name, int fd, const void *mem, size_t memlen)
{
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->fd = fd;
	s->mem = mem;
	s->memlen = memlen;
	s->total = memlen;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		s->total = (uint64_t)st.st_size;
	s->raw_cap = fd < 0 && memlen < RAW_CAP ? memlen + 1 : RAW_CAP;
	if ((s->raw = malloc(s->raw_cap)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if ((rc = raw_fill(s)) < 0)
		return rc;
	if (ends_with(name, ".gz"))
		s->comp = COMP_GZIP;
	else if (ends_with(name, ".zst"))
		s->comp = COMP_ZSTD;
	else if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b)
		s->comp = COMP_GZIP;
	else if (s->raw_len >= 4 && memcmp(s->raw, "\x28\xb5\x2f\xfd", 4) == 0)
		s->comp = COMP_ZSTD;
	if (s->comp == COMP_GZIP) {
		/* 15 + 32: a gzip or zlib stream, window as large as it says. */
		if (inflateInit2(&s->z, 15 + 32) != Z_OK)
			return fw_error_set(FW_ENOMEM, "out of memory");
		s->z_live = 1;
	} else if (s->comp == COMP_ZSTD) {
		if ((s->zd = ZSTD_createDStream()) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		ZSTD_initDStream(s->zd);
	}
	return 0;
}

static void
src_close(struct src *s)
{
	if (s->z_live)
		inflateEnd(&s->z);
	ZSTD_freeDStream(s->zd);
	free(s->raw);
}

static int
gz_read(struct src *s, unsigned char *dst, size_t cap, size_t *n)
{
	int rc;

	*n = 0;
	while (*n == 0) {
		if ((rc = raw_fill(s)) < 0)
			return rc;
		if (s->raw_pos == s->raw_len) {
			if (!s->z_end)
				return fw_error_set(FW_EINVALID,
				    "%s: bad gzip data: truncated", s->name);
			return 0;
		}
		if (s->z_end) {
			/* Another gzip member follows (as `cat a.gz b.gz`). */
			if (inflateReset(&s->z) != Z_OK)
				return fw_error_set(FW_ENOMEM, "out of memory");
			s->z_end = 0;
		}
		s->z.next_in = s->raw + s->raw_pos;
		s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
		s->z.next_out = dst;
		s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
		int zr = inflate(&s->z, Z_NO_FLUSH);
		s->raw_pos = s->raw_len - s->z.avail_in;
		*n = (size_t)(s->z.next_out - dst);
		if (zr == Z_STREAM_END)
			s->z_end = 1;
		else if (zr == Z_MEM_ERROR)
			return fw_error_set(FW_ENOMEM, "out of memory");
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return fw_error_set(FW_EINVALID, "%s: bad gzip data: %s", s->name,
			    s->z.msg ? s->z.msg : "inflate failed");
	}
	return 0;
}

static int
zst_read(struct src *s, unsigned char *dst, size_t cap, size_t *n)
{
	int rc;

	*n = 0;
	while (*n == 0) {
		if ((rc = raw_fill(s)) < 0)
			return rc;
		if (s->raw_pos == s->raw_len) {
			if (s->zd_last != 0 || s->file_bytes == 0)
				return fw_error_set(FW_EINVALID,
				    "%s: bad zstd data: truncated", s->name);
			return 0;
		}
		ZSTD_inBuffer in = { s->raw, s->raw_len, s->raw_pos };
		ZSTD_outBuffer out = { dst, cap, 0 };
		size_t zr = ZSTD_decompressStream(s->zd, &out, &in);
		if (ZSTD_isError(zr))
			return fw_error_set(FW_EINVALID, "%s: bad zstd data: %s", s->name,
			    ZSTD_getErrorName(zr));
		s->zd_last = zr;
		s->raw_pos = in.pos;
		*n = out.pos;
	}
	return 0;
}

/* Reads up to cap bytes of text; *n == 0 at the end. */
static int
src_read(struct src *s, void *dst, size_t cap, size_t *n)
{
	if (s->comp == COMP_GZIP)
		return gz_read(s, dst, cap, n);
	if (s->comp == COMP_ZSTD)
		return zst_read(s, dst, cap, n);
	if (s->raw_pos < s->raw_len) {
		size_t k = s->raw_len - s->raw_pos < cap ? s->raw_len - s->raw_pos : cap;
		memcpy(dst, s->raw + s->raw_pos, k);
		s->raw_pos += k;
		*n = k;
		return 0;
	}
	return raw_read(s, dst, cap, n);
}

/* Appends text to b until it holds at least want bytes or the input ends. */
static int
src_fill(struct src *s, fw_buf *b, size_t want, int *eof)
{
	size_t n;
	int rc;

	/* From memory, no more than what is left (fuzzing runs many tiny inputs). */
	if (s->fd < 0 && s->comp == COMP_NONE &&
	    want > b->len + (s->memlen - s->mempos) + (s->raw_len - s->raw_pos) + 1)
		want = b->len + (s->memlen - s->mempos) + (s->raw_len - s->raw_pos) + 1;
	while (!*eof && b->len < want) {
		if ((rc = fw_buf_grow(b, want - b->len)) < 0)
			return rc;
		if ((rc = src_read(s, b->data + b->len, want - b->len, &n)) < 0)
			return rc;
		b->len += n;
		b->data[b->len] = 0;
		*eof = n == 0;
	}
	return 0;
}

/* --- the run: what every format shares --- */

struct run {
	const char *name;
	char stem[256];
	const fw_import_opts *o;
	struct src src;
	fw_format fmt;
	uint64_t records, lines, bytes_in;
	fw_buf out;		/* whole-file formats: encodings not yet sunk */
	size_t out_n;
};

static void
progress(struct run *r)
{
	if (r->o->progress)
		r->o->progress(r->o->arg, r->src.file_bytes, r->src.total);
}

/* The map call with its message located. */
static int
map_one(const fw_import_opts *o, struct json_object *rec, fw_buf *out)
{
	int rc;

	if ((rc = fw_imp_check_id(rec)) < 0)
		return rc;
	if ((rc = o->map(o->arg, rec, out)) < 0) {
		if (fw_error_last()[0] == 0)
			fw_error_set(rc, "map failed (%s)", fw_error_name(rc));
	}
	return rc;
}

static int
whole_emit(void *ctx, struct json_object *rec, size_t line)
{
	struct run *r = ctx;
	int rc;

	rc = map_one(r->o, rec, &r->out);
	json_object_put(rec);
	if (rc < 0)
		return fw_imp_bad(rc, r->name, line);
	r->out_n++;
	if (r->out.len >= FW_IMPORT_BLOCK) {
		if ((rc = r->o->sink(r->o->arg, r->out.data, r->out.len, r->out_n)) < 0)
			return rc;
		r->records += r->out_n;
		r->out_n = 0;
		fw_buf_reset(&r->out);
	}
	return 0;
}

static int
run_whole(struct run *r, fw_buf *text, int eof)
{
	struct fw_imp_whole w = { r->name, r->stem, whole_emit, r };
	int rc;

	while (!eof) {
		if (text->len >= FW_IMPORT_MAX_WHOLE)
			return fw_error_set(FW_EINVALID, "%s: larger than %zu MiB, too large "
			    "for a %s file", r->name, FW_IMPORT_MAX_WHOLE >> 20,
			    fw_format_name(r->fmt));
		if ((rc = src_fill(&r->src, text, text->len + FW_IMPORT_BLOCK - 1, &eof)) < 0)
			return rc;
	}
	progress(r);
	r->bytes_in += text->len;
	if (r->fmt == FW_FORMAT_TAU_BENCH)
		rc = fw_imp_tau_bench(&w, text->data, text->len);
	else
		rc = fw_imp_swe_agent(&w, text->data, text->len);
	if (rc < 0)
		return rc;
	if (r->out_n) {
		if ((rc = r->o->sink(r->o->arg, r->out.data, r->out.len, r->out_n)) < 0)
			return rc;
		r->records += r->out_n;
	}
	return 0;
}

/* --- line formats: blocks of whole lines, parsed on worker threads --- */

enum { B_FREE, B_QUEUED, B_DONE };

struct block {
	fw_buf in, out;
	size_t nrec, nlines;
	int state;
	int err;
	size_t err_line;	/* within the block, 1-based */
	char msg[1024];
};

/*
 * Blocks go round a ring: the reading thread fills them, workers parse them,
 * and whichever worker finds the oldest block parsed hands it, and every
 * parsed block after it, to the sink, one worker at a time. The reading
 * thread never waits for the sink: writing a staged segment (a copy into the
 * page cache, slow when its pages are new) overlaps with reading the input.
 */
struct pipe {
	struct run *r;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct block *b;
	size_t nb;
	uint64_t next_fill, next_work, next_deliver;
	int stop;
	int delivering;		/* a worker is in the sink */
	int drc;		/* the first delivery error, and its message */
	char dmsg[1024];
};

static int
blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return 0;
	return 1;
}

static void
block_work(struct block *b, fw_format fmt, const fw_import_opts *o)
{
	const char *p = b->in.data, *end = p + b->in.len;
	size_t line = 0;

	b->nrec = 0;
	b->err = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		struct json_object *rec = NULL;
		int rc;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (!blank(p, le)) {
			if (fmt == FW_FORMAT_JSONL && o->map_text) {
				rc = o->map_text(o->arg, p, (size_t)(le - p), &b->out);
			} else {
				if ((rc = fw_json_parse(&rec, p, (size_t)(le - p))) >= 0 &&
				    (rc = fw_imp_line_record(&rec, fmt)) >= 0)
					rc = map_one(o, rec, &b->out);
				json_object_put(rec);
			}
			if (rc < 0) {
				b->err = rc;
				b->err_line = line;
				snprintf(b->msg, sizeof(b->msg), "%s", fw_error_last());
				break;
			}
			b->nrec++;
		}
		p = nl ? nl + 1 : end;
	}
	b->nlines = line;
}

/* Hands block b to the sink (blocks go in input order). */
static int
deliver(struct pipe *p, struct block *b)
{
	struct run *r = p->r;
	int rc;

	if (b->err) {
		/* Blocks are delivered in order, so this is the first bad line. */
		return fw_error_set(b->err, "bad record at %s:%llu: %s", r->name,
		    (unsigned long long)(r->lines + b->err_line), b->msg);
	}
	if (b->nrec && (rc = r->o->sink(r->o->arg, b->out.data, b->out.len, b->nrec)) < 0)
		return rc;
	r->records += b->nrec;
	r->lines += b->nlines;
	/* A block that grew for a long line gives the memory back. */
	if (b->in.cap > 2 * FW_IMPORT_BLOCK)
		fw_buf_release(&b->in);
	if (b->out.cap > 4 * FW_IMPORT_BLOCK)
		fw_buf_release(&b->out);
	b->in.len = b->out.len = 0;
	return 0;
}

/* With p->mu held: delivers the parsed blocks at the head of the ring, unless
 * another worker is doing so (it will take these too) or one failed. */
static void
drain(struct pipe *p)
{
	while (!p->delivering && p->drc == 0 && p->next_deliver < p->next_fill) {
		struct block *b = &p->b[p->next_deliver % p->nb];
		int rc;
		if (b->state != B_DONE)
			break;
		p->delivering = 1;
		pthread_mutex_unlock(&p->mu);
		rc = deliver(p, b);
		pthread_mutex_lock(&p->mu);
		p->delivering = 0;
		if (rc < 0) {
			p->drc = rc;
			snprintf(p->dmsg, sizeof(p->dmsg), "%s", fw_error_last());
			break;
		}
		b->state = B_FREE;
		p->next_deliver++;
	}
	pthread_cond_broadcast(&p->cv_done);
}

static void *
worker(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next_work == p->next_fill)
			pthread_cond_wait(&p->cv_work, &p->mu);
		if (p->stop)
			break;
		struct block *b = &p->b[p->next_work++ % p->nb];
		pthread_mutex_unlock(&p->mu);
		block_work(b, p->r->fmt, p->r->o);
		pthread_mutex_lock(&p->mu);
		b->state = B_DONE;
		drain(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The reading thread: waits until at most `inflight` blocks are undelivered
 * (or delivery failed); returns the delivery error, message restored. */
static int
wait_delivered(struct pipe *p, uint64_t inflight)
{
	int rc;

	pthread_mutex_lock(&p->mu);
	while (p->drc == 0 && p->next_fill - p->next_deliver > inflight)
		pthread_cond_wait(&p->cv_done, &p->mu);
	rc = p->drc;
	pthread_mutex_unlock(&p->mu);
	return rc < 0 ? fw_error_set(rc, "%s", p->dmsg) : 0;
}

static int
nthreads(const fw_import_opts *o)
{
	long n = o->threads;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > 64 ? 64 : (int)n;
}

/* head holds the first bytes of text (the BOM skipped); eof if that is all. */
static int
run_lines(struct run *r, fw_buf *head, int eof)
{
	struct pipe p = { 0 };
	pthread_t tids[64];
	/* An input that ends within its first block is one block: parsing it
	 * here saves starting threads (a tenth of fw add --patch of 1,000 lines). */
	int nt = nthreads(r->o), started = 0, threaded = nt > 1 && !eof, rc = 0;
	fw_buf carry = *head;

	*head = (fw_buf)FW_BUF_INIT;
	p.r = r;
	p.nb = 2 * (size_t)nt + 2;
	if ((p.b = calloc(p.nb, sizeof(*p.b))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv_work, NULL);
	pthread_cond_init(&p.cv_done, NULL);
	for (int i = 0; threaded && i < nt; i++) {
		if (pthread_create(&tids[i], NULL, worker, &p) != 0) {
			if (started == 0)
				threaded = 0;
			break;
		}
		started++;
	}

	while (!eof || carry.len) {
		if (threaded && (rc = wait_delivered(&p, p.nb - 1)) < 0)
			goto done;
		struct block *b = &p.b[p.next_fill % p.nb];
		fw_buf t = b->in;
		const char *nl;

		/* The new block starts with the previous one's partial line. */
		b->in = carry;
		carry = t;
		carry.len = 0;
		if ((rc = src_fill(&r->src, &b->in, FW_IMPORT_BLOCK - 1, &eof)) < 0)
			goto done;
		while (!eof && (nl = memrchr(b->in.data, '\n', b->in.len)) == NULL) {
			if (b->in.len >= FW_IMPORT_MAX_LINE) {
				rc = fw_error_set(FW_EINVALID, "bad record at %s:%llu: line "
				    "longer than %u MiB", r->name,
				    (unsigned long long)(r->lines + 1), FW_IMPORT_MAX_LINE >> 20);
				goto done;
			}
			if ((rc = src_fill(&r->src, &b->in, 2 * b->in.len, &eof)) < 0)
				goto done;
		}
		if (!eof) {
			nl = memrchr(b->in.data, '\n', b->in.len);
			size_t keep = (size_t)(nl + 1 - b->in.data);
			if ((rc = fw_buf_add(&carry, nl + 1, b->in.len - keep)) < 0)
				goto done;
			b->in.len = keep;
		}
		r->bytes_in += b->in.len;
		b->out.len = 0;
		progress(r);
		if (threaded) {
			pthread_mutex_lock(&p.mu);
			b->state = B_QUEUED;
			p.next_fill++;
			pthread_cond_signal(&p.cv_work);
			pthread_mutex_unlock(&p.mu);
		} else {
			block_work(b, r->fmt, r->o);
			if ((rc = deliver(&p, b)) < 0)
				goto done;
			p.next_fill++;
			p.next_deliver++;
		}
	}
	if (threaded && (rc = wait_delivered(&p, 0)) < 0)
		goto done;
done:
	if (p.b) {
		pthread_mutex_lock(&p.mu);
		p.stop = 1;
		pthread_cond_broadcast(&p.cv_work);
		pthread_mutex_unlock(&p.mu);
		for (int i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
		for (size_t i = 0; i < p.nb; i++) {
			fw_buf_release(&p.b[i].in);
			fw_buf_release(&p.b[i].out);
		}
		free(p.b);
		pthread_mutex_destroy(&p.mu);
		pthread_cond_destroy(&p.cv_work);
		pthread_cond_destroy(&p.cv_done);
	}
	fw_buf_release(&carry);
	return rc;
}

/* --- format detection --- */

static void
set_stem(struct run *r)
{
	const char *base = strrchr(r->name, '/');
	char *dot;

	base = base ? base + 1 : r->name;
	if (strcmp(r->name, "<stdin>") == 0)
		base = "stdin";
	snprintf(r->stem, sizeof(r->stem), "%s", base);
	for (int i = 0; i < 2 && (dot = strrchr(r->stem, '.')) != NULL && dot != r->stem; i++) {
		int comp = strcmp(dot, ".gz") == 0 || strcmp(dot, ".zst") == 0;
		*dot = 0;
		if (!comp)
			break;
	}
}

/* The extension after the compression one: ".jsonl" for "a.jsonl.gz". */
static const char *
ext_of(const char *name, char *tmp, size_t cap)
{
	const char *base = strrchr(name, '/'), *dot;
	char *c;

	snprintf(tmp, cap, "%s", base ? base + 1 : name);
	if ((c = strrchr(tmp, '.')) != NULL && (strcmp(c, ".gz") == 0 || strcmp(c, ".zst") == 0))
		*c = 0;
	dot = strrchr(tmp, '.');
	return dot ? dot : "";
}

/* Picks the format from the first line of text: hh-rlhf when it is a
 * {chosen, rejected} pair of strings and nothing else, else jsonl. */
static fw_format
line_format(const fw_buf *head)
{
	const char *p = head->data, *end = p + head->len;
	fw_format f = FW_FORMAT_JSONL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		if (!blank(p, le)) {
			struct json_object *v = NULL;
			if (fw_json_parse(&v, p, (size_t)(le - p)) == 0 && fw_imp_is_hh_pair(v))
				f = FW_FORMAT_HH_RLHF;
			json_object_put(v);
			fw_error_clear();
			break;
		}
		p = nl ? nl + 1 : end;
	}
	return f;
}

/* Sniffs the format of a file whose extension says nothing (or .json). */
static int
content_format(struct run *r, fw_buf *head, int *eof, int json_ext)
{
	const char *p = head->data, *end = p + head->len;
	struct json_object *v = NULL, *first = NULL;
	int rc = 0;

	while (p < end && strchr(" \t\r\n", *p))
		p++;
	if (p == end)
		return 0;	/* empty: reported by the caller */
	if (*p == '{' && !json_ext) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if ((nl || *eof) && fw_json_parse(&v, p, (size_t)((nl ? nl : end) - p)) == 0) {
			json_object_put(v);
			r->fmt = line_format(head);
			return 0;
		}
		fw_error_clear();
	}
	if (*p != '[' && *p != '{')
		return fw_error_set(FW_EINVALID, "%s: cannot tell the format: the "
		    "content is not JSON lines, a JSON array or a JSON object; name "
		    "one with --format", r->name);
	/* A whole JSON document: look at it. */
	while (!*eof && head->len < FW_IMPORT_MAX_WHOLE)
		if ((rc = src_fill(&r->src, head, head->len + FW_IMPORT_BLOCK, eof)) < 0)
			return rc;
	if (fw_json_parse(&v, head->data, head->len) < 0) {
		fw_error_clear();
		return fw_error_set(FW_EINVALID, "%s: cannot tell the format: not "
		    "valid JSON lines nor one JSON document; name one with --format",
		    r->name);
	}
	if (json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0 &&
	    json_object_is_type((first = json_object_array_get_idx(v, 0)), json_type_object) &&
	    json_object_object_get_ex(first, "traj", NULL))
		r->fmt = FW_FORMAT_TAU_BENCH;
	else if (json_object_is_type(v, json_type_object) &&
	    (json_object_object_get_ex(v, "history", NULL) ||
	    json_object_object_get_ex(v, "trajectory", NULL)))
		r->fmt = FW_FORMAT_SWE_AGENT;
	else
		rc = fw_error_set(FW_EINVALID, "%s: cannot tell the format: %s; name "
		    "one with --format", r->name,
		    json_object_is_type(v, json_type_array) ?
		    "a JSON array whose first element has no \"traj\" (tau-bench)" :
		    json_object_is_type(v, json_type_object) ?
		    "a JSON object with no \"history\" or \"trajectory\" (swe-agent)" :
		    "a JSON document that is neither an array nor an object");
	json_object_put(v);
	return rc;
}

static int
run(fw_import_stats *st, const char *name, int fd, const void *mem, size_t memlen,
    const fw_import_opts *o)
{
	struct run r = { 0 };
	fw_buf head = FW_BUF_INIT;
	char tmp[256];
	const char *ext;
	int rc, eof = 0;

	if (o == NULL || o->map == NULL || o->sink == NULL)
		return fw_error_set(FW_EINVALID, "import of %s: no map or sink given", name);
	r.name = name;
	r.o = o;
	r.fmt = o->format;
	set_stem(&r);
	if ((rc = src_open(&r.src, name, fd, mem, memlen)) < 0)
		goto done;
	if ((rc = src_fill(&r.src, &head, FW_IMPORT_BLOCK - 1, &eof)) < 0)
		goto done;
	/* A UTF-8 byte order mark is not part of the data (RFC 8259 8.1 lets a
	 * parser ignore it); one at the start of the file is skipped. */
	if (head.len >= 3 && memcmp(head.data, "\xef\xbb\xbf", 3) == 0) {
		memmove(head.data, head.data + 3, head.len - 2);
		head.len -= 3;
	}
	if (r.fmt == FW_FORMAT_AUTO) {
		ext = ext_of(name, tmp, sizeof(tmp));
		if (strcmp(ext, ".jsonl") == 0 || strcmp(ext, ".ndjson") == 0 ||
		    strcmp(ext, ".jsonlines") == 0)
			r.fmt = line_format(&head);
		else if (strcmp(ext, ".traj") == 0)
			r.fmt = FW_FORMAT_SWE_AGENT;
		else if ((rc = content_format(&r, &head, &eof, strcmp(ext, ".json") == 0)) < 0)
			goto done;
	}
	if (head.len == 0 || (eof && blank(head.data, head.data + head.len) &&
	    !memchr(head.data, '\n', head.len))) {
		rc = fw_error_set(FW_EINVALID, "%s: empty file, no records", name);
		goto done;
	}
	if (r.fmt == FW_FORMAT_AUTO)
		r.fmt = FW_FORMAT_JSONL;
	if (r.fmt == FW_FORMAT_JSONL || r.fmt == FW_FORMAT_HH_RLHF)
		rc = run_lines(&r, &head, eof);
	else
		rc = run_whole(&r, &head, eof);
	if (rc < 0)
		goto done;
	if (r.records == 0) {
		rc = fw_error_set(FW_EINVALID, "%s: %s, no records", name,
		    r.fmt == FW_FORMAT_JSONL || r.fmt == FW_FORMAT_HH_RLHF ?
		    "only blank lines" : "an empty array");
		goto done;
	}
	if (st) {
		st->records = r.records;
		st->bytes_in = r.bytes_in;
		st->format = r.fmt;
		st->bytes_file = r.src.file_bytes;
		st->lines = r.lines;
	}
done:
	src_close(&r.src);
	fw_buf_release(&head);
	fw_buf_release(&r.out);
	return rc;
}

int
fw_import_file(fw_import_stats *st, const char *path, const fw_import_opts *o)
{
	int fd, rc;

	if (strcmp(path, "-") == 0)
		return run(st, "<stdin>", 0, NULL, 0, o);
	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return fw_error_errno("cannot open %s", path);
	rc = run(st, path, fd, NULL, 0, o);
	close(fd);
	return rc;
}

int
fw_import_buffer(fw_import_stats *st, const char *name, const void *data,
    size_t len, const fw_import_opts *o)
{
	return run(st, name, -1, data, len, o);
}
