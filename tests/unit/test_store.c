/* Store-level properties: what a commit writes follows what changed. */
#include "harness.h"
#include "internal.h"
#include "fw/error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static void
write_records(const char *path, int first, int n, const char *reward_fmt, int with_msgs)
{
	FILE *f = fopen(path, "w");

	for (int i = first; i < first + n; i++) {
		fprintf(f, "{\"id\":\"run/%d\",\"source\":\"test\",\"reward\":", i);
		fprintf(f, reward_fmt, i % 7);
		if (with_msgs) {
			fprintf(f, ",\"messages\":[{\"role\":\"system\",\"content\":\"You are agent %d.", i % 13);
			for (int k = 0; k < 60; k++)
				fprintf(f, " word%d-%d", (i * 31 + k) % 997, k);
			fprintf(f, "\"},{\"role\":\"user\",\"content\":\"task %d\"}]", i);
		}
		fprintf(f, "}\n");
	}
	fclose(f);
}

struct collect {
	fw_store *s;
	int nleaves;
	char msgs[256][FW_OID_HEXSZ + 1];
	char reward[256][FW_OID_HEXSZ + 1];
	char ids[256][FW_OID_HEXSZ + 1];
};

static int
leaf_cb(void *arg, const fw_ptree_child *leaf)
{
	struct collect *c = arg;
	fw_rg rg;
	int rc = fw_rg_load(fw_store_objects(c->s), &rg, &leaf->oid, 0);

	if (rc < 0 || c->nleaves >= 256)
		return rc < 0 ? rc : 1;
	c->msgs[c->nleaves][0] = c->reward[c->nleaves][0] = '\0';
	for (size_t k = 0; k < rg.ncols; k++) {
		if (strcmp(rg.cols[k].name, "messages") == 0)
			fw_oid_tohex(c->msgs[c->nleaves], &rg.cols[k].oid);
		if (strcmp(rg.cols[k].name, "reward") == 0)
			fw_oid_tohex(c->reward[c->nleaves], &rg.cols[k].oid);
		if (strcmp(rg.cols[k].name, "id") == 0)
			fw_oid_tohex(c->ids[c->nleaves], &rg.cols[k].oid);
	}
	c->nleaves++;
	fw_rg_release(&rg);
	return 0;
}

static void
collect(fw_store *s, const char *corpus, struct collect *c)
{
	fw_rev rev;
	fw_roots roots;
	git_oid cid;
	fw_ptree t;

	memset(c, 0, sizeof(*c));
	c->s = s;
	CHECK_OK(fw_rev_resolve(s, &rev, corpus));
	git_oid_fromstr(&cid, rev.commit);
	CHECK_OK(fw_commit_read(s, &cid, NULL, &roots, NULL));
	fw_data_tree_init(&t, fw_store_objects(s), NULL);
	CHECK_OK(fw_ptree_walk_leaves(&t, &roots.data, NULL, NULL, leaf_cb, c));
}

static int
count_common(struct collect *a, struct collect *b, int msgs)
{
	int n = 0;

	for (int i = 0; i < a->nleaves; i++)
		for (int j = 0; j < b->nleaves; j++)
			if (strcmp(msgs ? a->msgs[i] : a->reward[i], msgs ? b->msgs[j] : b->reward[j]) == 0) {
				n++;
				break;
			}
	return n;
}

static void
add_commit(fw_store *s, const char *corpus, const char *file, int patch,
    fw_commit_result *res)
{
	fw_stage_opts o = { .format = FW_FORMAT_JSONL, .patch = patch, .threads = 1 };
	fw_stage_result sr;
	fw_commit_opts co = { .message = "t" };
	const char *files[] = { file };

	CHECK_OK(fw_stage_add(s, &sr, corpus, files, 1, &o));
	CHECK_OK(fw_commit(s, res, corpus, &co));
}

/* A new store in dir with corpus "c" holding records 0..n-1 (messages
 * included), committed at a pinned FW_NOW (the caller unsets it). */
static fw_store *
new_store(const char *dir, int n, fw_commit_result *r)
{
	char file[512];
	fw_store *s = NULL;

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_corpus_create(s, "c", NULL));
	setenv("FW_NOW", "1000000000000000000", 1);
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	write_records(file, 0, n, "%d.0", 1);
	add_commit(s, "c", file, 0, r);
	return s;
}

void
test_store_incremental(void)
{
	const char *dir = t_tmpdir();
	char file[512], cwd[4096];
	fw_store *s;
	fw_commit_result r0, r1, r2, r3, r4;
	struct collect before, after;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	s = new_store(dir, 16000, &r0);
	CHECK_INT(r0.records, 16000);
	collect(s, "c", &before);
	CHECK_MSG(before.nleaves >= 4, "want several row groups, got %d", before.nleaves);

	/* Relabel rewards of 100 records: reward columns, headers and the tree
	 * paths are written; no messages column object is. */
	snprintf(file, sizeof(file), "%s/p.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 16000; i += 160)
		fprintf(f, "{\"id\":\"run/%d\",\"reward\":0.25}\n", i);
	fclose(f);
	add_commit(s, "c", file, 1, &r1);
	CHECK_INT(r1.patched, 100);
	collect(s, "c", &after);
	CHECK_INT(after.nleaves, before.nleaves);
	CHECK_INT(count_common(&before, &after, 1), before.nleaves);
	CHECK_MSG(count_common(&before, &after, 0) < before.nleaves,
	    "reward columns should change");
	CHECK_MSG(r1.bytes_written * 20 < r0.bytes_written,
	    "relabel wrote %llu bytes, the full commit %llu",
	    (unsigned long long)r1.bytes_written, (unsigned long long)r0.bytes_written);

	/* The same records again: nothing new to write. */
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	add_commit(s, "c", file, 0, &r2);
	add_commit(s, "c", file, 0, &r2);
	CHECK_INT(r2.objects_written, 0);
	CHECK_INT(r2.replaced, 16000);

	/* Whole records again with only the reward changed (an upsert relabel):
	 * the messages columns are compared, not rewritten. */
	collect(s, "c", &before);
	snprintf(file, sizeof(file), "%s/a2.jsonl", dir);
	write_records(file, 0, 16000, "%d.5", 1);
	add_commit(s, "c", file, 0, &r2);
	collect(s, "c", &after);
	CHECK_INT(r2.replaced, 16000);
	CHECK_INT(count_common(&before, &after, 1), before.nleaves);
	CHECK_INT(count_common(&before, &after, 0), 0);

	/* An append at a later time rewrites the tail only. */
	setenv("FW_NOW", "1000000001000000000", 1);
	snprintf(file, sizeof(file), "%s/b.jsonl", dir);
	write_records(file, 16000, 100, "%d.0", 1);
	collect(s, "c", &before);
	add_commit(s, "c", file, 0, &r3);
	collect(s, "c", &after);
	CHECK_INT(r3.added, 100);
	CHECK_INT(r3.records, 16100);
	CHECK_MSG(count_common(&before, &after, 1) >= before.nleaves - 1,
	    "append should keep all but the last row group");
	/* The tail row group is rewritten and new ids land anywhere in the id
	 * index: less than two row groups' worth of bytes, whatever the corpus. */
	CHECK_MSG(r3.bytes_written * (uint64_t)before.nleaves < 2 * r0.bytes_written,
	    "append wrote %llu bytes; the whole corpus (%d row groups) %llu",
	    (unsigned long long)r3.bytes_written, before.nleaves,
	    (unsigned long long)r0.bytes_written);

	/* The same records, same arrival time, into a second corpus: shared. */
	setenv("FW_NOW", "1000000000000000000", 1);
	CHECK_OK(fw_corpus_create(s, "d", NULL));
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	add_commit(s, "d", file, 0, &r4);
	CHECK_INT(r4.objects_written, 0);
	unsetenv("FW_NOW");
	fw_store_close(s);
}

/* Importing on one thread or four gives the same version, byte for byte:
 * records with unsorted nested keys make the canonicalizer sort on every
 * thread at once. */
void
test_store_threads_same(void)
{
	const char *dir = t_tmpdir();
	char file[512];
	fw_store *s;
	fw_stage_result sr;
	fw_commit_result r1, r4;
	fw_commit_opts co = { .message = "t" };
	fw_rev a, b;
	fw_roots ra, rb;
	git_oid ca, cb;

	snprintf(file, sizeof(file), "%s/u.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 30000; i++)
		fprintf(f, "{\"z\":%d,\"id\":\"u%d\",\"messages\":[{\"role\":\"user\",\"content\":\"c%d\","
		    "\"tool_calls\":[{\"type\":\"function\",\"id\":\"t%d\",\"function\":{\"name\":\"n\","
		    "\"arguments\":\"{}\"}}]}],\"b\":{\"y\":1,\"x\":[{\"q\":2,\"p\":3}]}}\n", i, i, i, i);
	fclose(f);
	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_corpus_create(s, "one", NULL));
	CHECK_OK(fw_corpus_create(s, "four", NULL));
	setenv("FW_NOW", "1000000000000000000", 1);
	const char *files[] = { file };
	fw_stage_opts o1 = { .format = FW_FORMAT_JSONL, .threads = 1 };
	fw_stage_opts o4 = { .format = FW_FORMAT_JSONL, .threads = 4 };
	CHECK_OK(fw_stage_add(s, &sr, "one", files, 1, &o1));
	CHECK_OK(fw_commit(s, &r1, "one", &co));
	CHECK_OK(fw_stage_add(s, &sr, "four", files, 1, &o4));
	CHECK_OK(fw_commit(s, &r4, "four", &co));
	unsetenv("FW_NOW");
	CHECK_OK(fw_rev_resolve(s, &a, "one"));
	CHECK_OK(fw_rev_resolve(s, &b, "four"));
	git_oid_fromstr(&ca, a.commit);
	git_oid_fromstr(&cb, b.commit);
	CHECK_OK(fw_commit_read(s, &ca, NULL, &ra, NULL));
	CHECK_OK(fw_commit_read(s, &cb, NULL, &rb, NULL));
	CHECK(fw_oid_cmp(&ra.data.top.oid, &rb.data.top.oid) == 0);
	CHECK_INT(r4.objects_written, 0);
	CHECK(ra.data.height >= 1);

	/* A spread patch, committed without a pool (FW_THREADS=1) and with
	 * one (leaves loaded ahead on it, core/ptree.c): the same tree. */
	snprintf(file, sizeof(file), "%s/p.jsonl", dir);
	f = fopen(file, "w");
	for (int i = 0; i < 30000; i += 97)
		fprintf(f, "{\"id\":\"u%d\",\"z\":\"patched %d\",\"new\":[%d]}\n", i, i, i);
	fclose(f);
	fw_stage_opts p1 = { .format = FW_FORMAT_JSONL, .threads = 1, .patch = 1 };
	const char *names[] = { "one", "four" }, *threads[] = { "1", "4" };
	fw_roots pr[2];
	for (int k = 0; k < 2; k++) {
		fw_rev rv;
		git_oid cv;
		setenv("FW_THREADS", threads[k], 1);
		CHECK_OK(fw_stage_add(s, &sr, names[k], files, 1, &p1));
		CHECK_OK(fw_commit(s, &r1, names[k], &co));
		CHECK_INT(r1.patched, 310);
		CHECK_OK(fw_rev_resolve(s, &rv, names[k]));
		git_oid_fromstr(&cv, rv.commit);
		CHECK_OK(fw_commit_read(s, &cv, NULL, &pr[k], NULL));
	}
	unsetenv("FW_THREADS");
	CHECK(fw_oid_cmp(&pr[0].data.top.oid, &pr[1].data.top.oid) == 0);
	CHECK(fw_oid_cmp(&pr[0].data.top.oid, &ra.data.top.oid) != 0);
	fw_store_close(s);
}

/* The stored frame of object id in dir's only pack: *off and *len from the
 * index (entries: id[32], u64 offset, u32 length, little-endian). */
static int
pack_entry(const char *dir, const fw_oid *id, char *pack, size_t packsz, long *off,
    size_t *len)
{
	char path[4096];
	unsigned char hdr[12], e[44];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/.fw/objects/pack", dir);
	DIR *d = opendir(path);
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".idx") != 0 || found)
			continue;
		snprintf(path, sizeof(path), "%s/.fw/objects/pack/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL || fread(hdr, 1, 12, f) != 12) {
			if (f)
				fclose(f);
			continue;
		}
		uint32_t n = hdr[8] | hdr[9] << 8 | hdr[10] << 16 | (uint32_t)hdr[11] << 24;
		for (uint32_t i = 0; i < n && fread(e, 1, 44, f) == 44; i++) {
			if (memcmp(e, id->id, 32) != 0)
				continue;
			uint64_t o = 0;
			for (int k = 7; k >= 0; k--)
				o = o << 8 | e[32 + k];
			*off = (long)o;
			*len = e[40] | e[41] << 8 | e[42] << 16 | (size_t)e[43] << 24;
			snprintf(pack, packsz, "%.*s.pack", (int)(strlen(path) - 4), path);
			found = 1;
			break;
		}
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Puts a valid frame of other content where column object x is stored:
 * its values with the first find replaced by repl (as long), encoded and compressed
 * at the level that makes it smallest and padded with a skippable frame to
 * the old length. */
static void
damage_column(const char *dir, const fw_oid *x, const char *find, const char *repl)
{
	char pack[4400];
	long off = 0;
	size_t len = 0;

	CHECK(pack_entry(dir, x, pack, sizeof(pack), &off, &len));
	/* The frame: "FWO1", u8 3, "col", one zstd frame. */
	char *frame = malloc(len), *content = NULL, *z = NULL;
	FILE *f = fopen(pack, "r+b");
	CHECK(f && frame && fseek(f, off, SEEK_SET) == 0 && fread(frame, 1, len, f) == len);
	unsigned long long clen = ZSTD_getFrameContentSize(frame + 8, len - 8);
	CHECK(clen != ZSTD_CONTENTSIZE_ERROR && clen != ZSTD_CONTENTSIZE_UNKNOWN);
	content = malloc(clen + 1);
	CHECK(ZSTD_decompress(content, clen, frame + 8, len - 8) == clen);
	/* in the decoded values (a front-coded column keeps no whole id),
	 * encoded again */
	fw_column col;
	fw_buf enc = FW_BUF_INIT;
	CHECK_OK(fw_column_decode(&col, "x", (fw_type)content[1], content, clen));
	char *at = col.data ? memmem(col.data, col.off[col.n], find, strlen(find)) : NULL;
	CHECK(at != NULL);
	if (at)
		memcpy(at, repl, strlen(repl));
	CHECK_OK(fw_column_encode(&col, &enc));
	free(content);
	clen = enc.len;
	content = fw_buf_detach(&enc, NULL);
	fw_column_release(&col);
	size_t zcap = ZSTD_compressBound(clen), zn = (size_t)-1;
	z = malloc(zcap);
	for (int level = 1; level <= 19; level++) {	/* the smallest frame */
		size_t n = ZSTD_compress(z, zcap, content, clen, level);
		if (!ZSTD_isError(n) && (ZSTD_isError(zn) || n < zn))
			zn = n;
	}
	for (int level = 1; level <= 19; level++)
		if (ZSTD_compress(z, zcap, content, clen, level) == zn)
			break;
	CHECK_MSG(!ZSTD_isError(zn) && zn + 8 <= len - 8, "frame %zu, room %zu", zn, len - 16);
	if (!ZSTD_isError(zn) && zn + 8 <= len - 8) {
		size_t pad = len - 8 - zn - 8;
		memcpy(frame + 8, z, zn);
		unsigned char sk[8] = { 0x50, 0x2a, 0x4d, 0x18, (unsigned char)pad,
		    (unsigned char)(pad >> 8), (unsigned char)(pad >> 16), (unsigned char)(pad >> 24) };
		memcpy(frame + 8 + zn, sk, 8);
		memset(frame + 8 + zn + 8, 0, pad);
		CHECK(fseek(f, off, SEEK_SET) == 0 && fwrite(frame, 1, len, f) == len);
	}
	if (f)
		fclose(f);
	free(frame);
	free(content);
	free(z);
}

/* A store of 200 records in one row group whose column col (messages or
 * id) is damaged as damage_column does; *x is that column's object. */
static fw_store *
damaged_store(const char *dir, const char *col, const char *find, const char *repl,
    fw_oid *x)
{
	fw_commit_result r0;
	struct collect c;
	fw_store *s = new_store(dir, 200, &r0);

	collect(s, "c", &c);
	CHECK_INT(c.nleaves, 1);
	CHECK_OK(fw_oid_fromhex(x, strcmp(col, "id") == 0 ? c.ids[0] : c.msgs[0]));
	fw_store_close(s);
	damage_column(dir, x, find, repl);
	s = NULL;
	CHECK_OK(fw_store_open(&s, dir));
	return s;
}

/* Staging file (a patch or not) and committing fails on the damaged object
 * hex, naming it. */
static void
commit_refused(fw_store *s, const char *file, int patch, const char *hex)
{
	fw_stage_opts o = { .format = FW_FORMAT_JSONL, .patch = patch, .threads = 1 };
	fw_stage_result sr;
	fw_commit_result r;
	fw_commit_opts co = { .message = "t" };
	const char *files[] = { file };

	CHECK_OK(fw_stage_add(s, &sr, "c", files, 1, &o));
	CHECK_INT(fw_commit(s, &r, "c", &co), FW_ECORRUPT);
	CHECK_MSG(strstr(fw_error_last(), hex) != NULL &&
	    strstr(fw_error_last(), "does not match its id") != NULL, "%s", fw_error_last());
	unsetenv("FW_NOW");
}

/*
 * An upsert compares the old columns it may keep without their SHA-256 check
 * (core/rowgroup.c, same_values). Put a valid frame of other content (one
 * untouched row changed) where the messages column is stored: a reward-only
 * upsert keeps the object, whose next read fails; an upsert that changes
 * messages must check the object before it copies the untouched rows, and
 * fails naming it rather than commit the other content.
 */
void
test_store_upsert_checks(void)
{
	const char *dir = t_tmpdir();
	char file[512], hex[FW_OID_HEXSZ + 1];
	fw_commit_result r1;
	fw_oid x;
	FILE *f;
	fw_store *s = damaged_store(dir, "messages", "task 199", "task 198", &x);

	fw_oid_tohex(hex, &x);

	/* reward only: the damaged object is kept, and reading it fails */
	snprintf(file, sizeof(file), "%s/r.jsonl", dir);
	write_records(file, 0, 1, "%d.5", 1);
	add_commit(s, "c", file, 0, &r1);
	CHECK_INT(r1.replaced, 1);
	fw_buf b = FW_BUF_INIT;
	CHECK_INT(fw_obj_get(fw_store_objects(s), &b, &x, "col"), FW_ECORRUPT);
	CHECK_MSG(strstr(fw_error_last(), hex) != NULL, "%s", fw_error_last());
	fw_buf_release(&b);

	/* new messages for record 0: the commit checks the old column and stops */
	f = fopen(file, "w");
	fprintf(f, "{\"id\":\"run/0\",\"source\":\"test\",\"reward\":1,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"new\"}]}\n");
	fclose(f);
	commit_refused(s, file, 0, hex);
	fw_store_close(s);
}

/*
 * A patch compares the staged id with the stored one without the id
 * column's SHA-256 check (core/rowgroup.c, check_ids), where the id index
 * kept no check for it (a version-1 leaf: FW_TEST_IXL_V1). Put a valid frame
 * with one id changed where the id column is stored: a patch of an intact
 * id commits (the id column is kept as it is, and still fails to read); a
 * patch of the changed id reports the damaged object, not a collision.
 * With the index's checks (version 2), neither patch reads the id column:
 * both commit, and the column still fails to read.
 */
void
test_store_patch_id_checks(void)
{
	for (int v1 = 1; v1 >= 0; v1--) {
		const char *dir = t_tmpdir();
		char file[512], hex[FW_OID_HEXSZ + 1];
		fw_commit_result r1;
		fw_oid x;
		FILE *f;
		fw_buf b = FW_BUF_INIT;

		if (v1)
			setenv("FW_TEST_IXL_V1", "1", 1);
		fw_store *s = damaged_store(dir, "id", "run/5", "run/6", &x);
		unsetenv("FW_TEST_IXL_V1");
		fw_oid_tohex(hex, &x);

		snprintf(file, sizeof(file), "%s/p.jsonl", dir);
		f = fopen(file, "w");
		fprintf(f, "{\"id\":\"run/7\",\"reward\":5}\n");
		fclose(f);
		add_commit(s, "c", file, 1, &r1);
		CHECK_INT(r1.patched, 1);
		CHECK_INT(fw_obj_get(fw_store_objects(s), &b, &x, "col"), FW_ECORRUPT);
		fw_buf_release(&b);

		f = fopen(file, "w");
		fprintf(f, "{\"id\":\"run/5\",\"reward\":5}\n");
		fclose(f);
		if (v1) {
			commit_refused(s, file, 1, hex);
		} else {
			add_commit(s, "c", file, 1, &r1);
			CHECK_INT(r1.patched, 1);
			CHECK_INT(fw_obj_get(fw_store_objects(s), &b, &x, "col"), FW_ECORRUPT);
			fw_buf_release(&b);
		}
		fw_store_close(s);
	}
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One reader for many lookups in key order (it keeps the nodes on its path)
 * finds what a fresh lookup finds, for present and absent keys alike, and
 * each present id's check (the next 8 bytes of its SHA-256). */
void
test_store_index_reader(void)
{
	const char *dir = t_tmpdir();
	fw_commit_result r0;
	fw_store *s = new_store(dir, 16000, &r0);
	fw_rev rev;
	fw_roots roots;
	git_oid cid;
	enum { N = 16000, ABSENT = 4000 };
	/* key, check, present: sorted by key */
	uint64_t (*keys)[3] = malloc((N + ABSENT) * sizeof(*keys));
	char id[32];

	unsetenv("FW_NOW");
	CHECK_OK(fw_rev_resolve(s, &rev, "c"));
	git_oid_fromstr(&cid, rev.commit);
	CHECK_OK(fw_commit_read(s, &cid, NULL, &roots, NULL));
	CHECK_MSG(roots.index.height >= 2, "index height %d", roots.index.height);
	for (int i = 0; i < N + ABSENT; i++) {
		uint8_t h[8];
		snprintf(id, sizeof(id), i < N ? "run/%d" : "absent/%d", i);
		uint32_t chk;
		fw_idhash2(h, &chk, id, strlen(id));
		keys[i][1] = chk;
		keys[i][0] = fw_be64(h);
		keys[i][2] = i < N;
	}
	qsort(keys, N + ABSENT, sizeof(*keys), u64_cmp);
	fw_index_reader r;
	int found = 0, same = 1, checks = 1;
	fw_index_reader_init(&r, fw_store_objects(s), &roots.index);
	for (int i = 0; i < N + ABSENT; i++) {
		uint8_t k[8];
		uint64_t t1 = 0, t2 = 0;
		uint32_t chk = 0;
		fw_put_be64(k, keys[i][0]);
		int a = fw_index_reader_get(&r, k, &t1, &chk);
		int b = fw_index_lookup(fw_store_objects(s), &roots.index, k, &t2);
		if (a != b || (a == 1 && t1 != t2) || a != (int)keys[i][2])
			same = 0;
		if (a == 1 && (chk == 0 || chk != keys[i][1]))
			checks = 0;
		found += a == 1;
	}
	fw_index_reader_release(&r);
	CHECK(checks);
	CHECK(same);
	CHECK_INT(found, N);
	free(keys);
	fw_store_close(s);
}
