/* fw fsck's boundary check: an id index cut with other constants holds the
 * right entries in the right order, yet fsck must name it. */
#include "harness.h"
#include "internal.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lines {
	int n, boundary;
	char first[512];
};

static void
report(void *arg, const char *line)
{
	struct lines *l = arg;

	if (l->n++ == 0)
		snprintf(l->first, sizeof(l->first), "%s", line);
	if (strstr(line, "boundary rule") != NULL)
		l->boundary++;
}

struct entries {
	fw_objstore *os;
	fw_ptree_edit *e;
	size_t n, cap;
};

static int
take_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct entries *x = arg;
	uint8_t *keys;
	uint64_t *vals;
	uint32_t *checks;
	uint32_t n;
	int rc = fw_ixl_read(x->os, &leaf->oid, &n, &keys, &vals, &checks);

	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		if (x->n == x->cap) {
			x->cap = x->cap ? x->cap * 2 : 1024;
			x->e = realloc(x->e, x->cap * sizeof(*x->e));
		}
		memset(&x->e[x->n], 0, sizeof(x->e[0]));
		memcpy(x->e[x->n].key, keys + (size_t)i * 8, 8);
		x->e[x->n].op = FW_EDIT_PUT;
		x->e[x->n].size = 16;
		x->e[x->n].ref = (int64_t)vals[i];
		x->e[x->n].aux = checks[i];
		x->n++;
	}
	free(keys);
	free(vals);
	free(checks);
	return 0;
}

void
test_fsck_boundaries(void)
{
	const char *dir = t_tmpdir();
	char file[512];
	fw_store *s;
	fw_rev rev;
	fw_schema schema;
	fw_roots roots, bad;
	git_oid head, cid;
	git_reference *ref = NULL;
	fw_ptree t;
	fw_stage_result sr;
	fw_stage_opts so = { 0 };
	fw_commit_opts co = { .message = "v1" };
	fw_commit_result cr;
	fw_fsck_result fr;
	struct lines l = { 0, 0, "" };
	fw_fsck_opts fo = { 1, report, &l };
	struct entries x = { 0 };
	const char *files[1] = { file };

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_corpus_create(s, "c", NULL));
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 3000; i++)
		fprintf(f, "{\"id\":\"r%d\",\"reward\":%d}\n", i, i % 3);
	fclose(f);
	CHECK_OK(fw_stage_add(s, &sr, "c", files, 1, &so));
	CHECK_OK(fw_commit(s, &cr, "c", &co));

	CHECK_OK(fw_fsck(s, &fo, &fr));
	CHECK_INT(fr.problems, 0);
	CHECK_INT(l.n, 0);

	/* The same index entries, cut into leaves of 64 to 256 bytes. */
	CHECK_OK(fw_rev_resolve(s, &rev, "c"));
	CHECK_OK(git_oid_fromstr(&head, rev.commit));
	CHECK_OK(fw_commit_read(s, &head, &schema, &roots, NULL));
	fw_index_tree_init(&t, s->os, s->os);
	x.os = s->os;
	CHECK_OK(fw_ptree_walk_leaves(&t, &roots.index, NULL, NULL, take_leaf, &x));
	CHECK_INT(x.n, 3000);
	t.leaf_shape.min = 64;
	t.leaf_shape.max = 256;
	t.leaf_shape.lambda = 96;
	fw_ptree_root empty;
	memset(&empty, 0, sizeof(empty));
	empty.empty = 1;
	bad = roots;
	CHECK_OK(fw_ptree_apply(&t, &bad.index, &empty, x.e, x.n));
	CHECK_INT(bad.index.top.count, 3000);
	CHECK_OK(fw_objstore_flush(s->os));
	CHECK_OK(fw_commit_write(s, &cid, &schema, &bad, "bad index", &head, 1));
	CHECK_OK(git_reference_create(&ref, s->repo, "refs/heads/c/bad", &cid, 0, NULL));
	git_reference_free(ref);

	/* Keys, counts and the agreement with the data tree are all right:
	 * only the boundaries are wrong, and fsck says so. */
	memset(&l, 0, sizeof(l));
	CHECK_OK(fw_fsck(s, &fo, &fr));
	CHECK_MSG(fr.problems > 0 && l.boundary > 0, "%llu problems, first: %s",
	    (unsigned long long)fr.problems, l.first);
	CHECK_MSG(strstr(l.first, "in c@bad") != NULL, "%s", l.first);
	CHECK_MSG(strstr(l.first, "not hold the same") == NULL, "%s", l.first);

	fw_schema_release(&schema);
	free(x.e);
	fw_store_close(s);
}

/*
 * A process that loaded the pack list before fw gc removed a pack must not
 * count that pack's objects as present: a commit opens the store before it
 * takes its corpus lock, and would otherwise refer to an object gc dropped
 * without writing it again.
 */
void
test_gc_stale_pack_list(void)
{
	const char *dir = t_tmpdir();
	char file[512];
	const char *files[1] = { file };
	fw_store *a, *b, *c;
	fw_rev rev;
	fw_roots roots;
	git_oid head;
	fw_buf obj = FW_BUF_INIT;
	fw_oid id;
	fw_stage_result sr;
	fw_stage_opts so = { 0 };
	fw_commit_opts co = { .message = "v1" };
	fw_commit_result cr;
	fw_gc_opts go = { .dry_run = 0, .grace = 0 };
	fw_objstore_gc_result gr;
	uint64_t reachable;
	git_reference *ref = NULL;

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&a, dir));
	CHECK_OK(fw_corpus_create(a, "c", NULL));
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 50; i++)
		fprintf(f, "{\"id\":\"g%d\",\"reward\":%d}\n", i, i);
	fclose(f);
	CHECK_OK(fw_stage_add(a, &sr, "c", files, 1, &so));
	CHECK_OK(fw_commit(a, &cr, "c", &co));
	CHECK_OK(fw_rev_resolve(a, &rev, "c"));
	CHECK_OK(git_oid_fromstr(&head, rev.commit));
	CHECK_OK(fw_commit_read(a, &head, NULL, &roots, NULL));
	CHECK_INT(roots.data.height, 0);
	CHECK_OK(fw_obj_get(a->os, &obj, &roots.data.top.oid, "rg"));
	fw_store_close(a);

	/* Make v1 garbage: main goes back to the first version, and the
	 * reflogs that remember v1 are dropped. */
	CHECK_OK(fw_store_open(&a, dir));	/* loads the pack list now */
	CHECK_OK(fw_store_open(&b, dir));
	git_oid first;
	git_commit *cm = NULL;
	CHECK_OK(git_commit_lookup(&cm, b->repo, &head));
	git_oid_cpy(&first, git_commit_parent_id(cm, 0));
	git_commit_free(cm);
	CHECK_OK(git_reference_create(&ref, b->repo, "refs/heads/c/main", &first, 1, NULL));
	git_reference_free(ref);
	CHECK_OK(git_reflog_delete(b->repo, "refs/heads/c/main"));
	CHECK_OK(git_reflog_delete(b->repo, "refs/fw/current/c"));
	CHECK_OK(fw_gc(b, &go, &gr, &reachable));
	CHECK_MSG(gr.objects_freed > 0 && gr.packs_removed == 1, "%llu freed, %llu packs removed",
	    (unsigned long long)gr.objects_freed, (unsigned long long)gr.packs_removed);

	/* a still holds the old pack list: the row group must be written again */
	CHECK_INT(fw_obj_put(a->os, &id, NULL, "rg", obj.data, obj.len), 1);
	CHECK(fw_oid_cmp(&id, &roots.data.top.oid) == 0);
	CHECK_OK(fw_objstore_flush(a->os));
	CHECK_OK(fw_store_open(&c, dir));
	CHECK_INT(fw_obj_has(c->os, &id), 1);
	fw_store_close(c);
	fw_store_close(a);
	fw_store_close(b);
	fw_buf_release(&obj);
}

/* A row group header whose statistics lie about a column: only fsck --full,
 * which decodes the columns, can see it. */
void
test_fsck_full_statistics(void)
{
	const char *dir = t_tmpdir();
	char file[512];
	const char *files[1] = { file };
	fw_store *s;
	fw_rev rev;
	fw_schema schema;
	fw_roots roots, bad;
	git_oid head, cid;
	git_reference *ref = NULL;
	fw_stage_result sr;
	fw_stage_opts so = { 0 };
	fw_commit_opts co = { .message = "v1" };
	fw_commit_result cr;
	fw_fsck_result fr;
	struct lines l;
	fw_fsck_opts fo = { 0, report, &l };
	fw_rg rg;
	fw_buf b = FW_BUF_INIT;
	uint64_t oldsize = 0, newsize = 0;

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_corpus_create(s, "c", NULL));
	snprintf(file, sizeof(file), "%s/a.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 50; i++)
		fprintf(f, "{\"id\":\"s%d\",\"reward\":%d}\n", i, i);
	fclose(f);
	CHECK_OK(fw_stage_add(s, &sr, "c", files, 1, &so));
	CHECK_OK(fw_commit(s, &cr, "c", &co));
	CHECK_OK(fw_rev_resolve(s, &rev, "c"));
	CHECK_OK(git_oid_fromstr(&head, rev.commit));
	CHECK_OK(fw_commit_read(s, &head, &schema, &roots, NULL));
	CHECK_INT(roots.data.height, 0);

	/* the header again, the reward maximum raised by one */
	CHECK_OK(fw_rg_load(s->os, &rg, &roots.data.top.oid, 0));
	fw_buf_addc(&b, 1);
	fw_buf_add_varint(&b, rg.n);
	fw_buf_add(&b, rg.keys_oid.id, 32);
	fw_buf_add_varint(&b, rg.keys_stored);
	fw_buf_add(&b, rg.sizes_oid.id, 32);
	fw_buf_add_varint(&b, rg.sizes_stored);
	fw_buf_add_varint(&b, rg.ncols);
	for (size_t k = 0; k < rg.ncols; k++) {
		fw_colstats st = rg.cols[k].st;
		uint64_t u;
		if (strcmp(rg.cols[k].name, "reward") == 0)
			st.max += 1;
		fw_buf_add_varint(&b, strlen(rg.cols[k].name));
		fw_buf_add(&b, rg.cols[k].name, strlen(rg.cols[k].name));
		fw_buf_addc(&b, (char)rg.cols[k].type);
		fw_buf_add(&b, rg.cols[k].oid.id, 32);
		fw_buf_add_varint(&b, rg.cols[k].stored);
		fw_buf_add_varint(&b, st.count);
		fw_buf_add_varint(&b, st.nulls);
		fw_buf_add_varint(&b, st.bytes);
		fw_buf_add_varint(&b, st.kinds);
		fw_buf_add_varint(&b, st.nnum);
		memcpy(&u, &st.min, 8);
		fw_buf_add_u64(&b, u);
		memcpy(&u, &st.max, 8);
		fw_buf_add_u64(&b, u);
		memcpy(&u, &st.sum, 8);
		fw_buf_add_u64(&b, u);
	}
	fw_rg_release(&rg);
	bad = roots;
	CHECK_INT(fw_obj_size(s->os, &roots.data.top.oid, &oldsize), 1);
	CHECK_INT(fw_obj_put(s->os, &bad.data.top.oid, &newsize, "rg", b.data, b.len), 1);
	bad.data.top.stored = roots.data.top.stored - oldsize + newsize;
	CHECK_OK(fw_objstore_flush(s->os));
	CHECK_OK(fw_commit_write(s, &cid, &schema, &bad, "lying statistics", &head, 1));
	CHECK_OK(git_reference_create(&ref, s->repo, "refs/heads/c/stats", &cid, 0, NULL));
	git_reference_free(ref);

	memset(&l, 0, sizeof(l));
	CHECK_OK(fw_fsck(s, &fo, &fr));
	CHECK_MSG(fr.problems == 0, "without --full: %s", l.first);
	memset(&l, 0, sizeof(l));
	fo.full = 1;
	CHECK_OK(fw_fsck(s, &fo, &fr));
	CHECK_INT(fr.problems, 1);
	CHECK_MSG(strstr(l.first, "statistics of column 'reward' differ") != NULL &&
	    strstr(l.first, "in c@stats") != NULL, "%s", l.first);

	fw_buf_release(&b);
	fw_schema_release(&schema);
	fw_store_close(s);
}

/* Bytes of a file, or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL &&
	    fread(b, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(b);
		b = NULL;
	}
	if (f)
		fclose(f);
	return b;
}

/* The one pack file with this suffix in dir/pack, into out. */
static int
find_pack(const char *dir, const char *suffix, char *out, size_t n)
{
	char pd[4200];
	DIR *d;
	struct dirent *de;
	int found = 0;

	snprintf(pd, sizeof(pd), "%s/pack", dir);
	if ((d = opendir(pd)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		if (l > sl && strncmp(de->d_name, "pack-", 5) == 0 &&
		    strcmp(de->d_name + l - sl, suffix) == 0) {
			snprintf(out, n, "%s/%s", pd, de->d_name);
			found++;
		}
	}
	closedir(d);
	return found == 1;
}

/*
 * An object in two packs (what a killed gc leaves), one copy damaged: the
 * merge keeps the sound copy, whichever pack holds the damaged one, and
 * removing the old packs loses nothing.
 */
void
test_compact_picks_sound_copy(void)
{
	char text[400];

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + (i * 7 + i / 13) % 26);
	for (int damaged = 0; damaged < 2; damaged++) {
		char dir[2][300], pk[2][4400], ix[4400], to[4400];
		fw_objstore *os;
		fw_oid x, y[2];
		uint64_t stored, merged = 0;
		fw_buf out = FW_BUF_INIT;
		size_t len = 0;

		for (int s = 0; s < 2; s++)
			snprintf(dir[s], sizeof(dir[s]), "%s", t_tmpdir());	/* a static buffer */
		for (int s = 0; s < 2; s++) {
			CHECK_OK(fw_objstore_open_local(&os, dir[s]));
			CHECK(fw_obj_put(os, &x, &stored, "col", text, sizeof(text)) >= 0);
			CHECK(fw_obj_put(os, &y[s], &stored, "ixl", s ? "side b" : "side a", 6) >= 0);
			CHECK_OK(fw_objstore_flush(os));
			fw_objstore_free(os);
			CHECK(find_pack(dir[s], ".pack", pk[s], sizeof(pk[s])));
		}
		/* damage x (the only "col" object) in one pack */
		char *b = slurp(pk[damaged], &len), *at = NULL;
		for (size_t i = 0; b && i + 8 < len && !at; i++)
			if (memcmp(b + i, "FWO1\003col", 8) == 0)
				at = b + i;
		CHECK(at != NULL && at + 40 < b + len);
		if (at == NULL)
			return;
		at[30] ^= 0x5a;
		FILE *f = fopen(pk[damaged], "r+b");
		CHECK(f && fseek(f, at - b, SEEK_SET) == 0 && fwrite(at, 1, 40, f) == 40);
		if (f)
			fclose(f);
		free(b);
		/* the second store's pack joins the first */
		CHECK(find_pack(dir[1], ".idx", ix, sizeof(ix)));
		snprintf(to, sizeof(to), "%s/pack/%s", dir[0], strrchr(pk[1], '/') + 1);
		CHECK(rename(pk[1], to) == 0);
		snprintf(to, sizeof(to), "%s/pack/%s", dir[0], strrchr(ix, '/') + 1);
		CHECK(rename(ix, to) == 0);

		CHECK_OK(fw_objstore_open_local(&os, dir[0]));
		CHECK_OK(fw_objstore_compact(os, (uint64_t)1 << 30, 2, &merged));
		CHECK_INT(merged, 2);
		fw_objstore_free(os);
		CHECK(find_pack(dir[0], ".pack", pk[0], sizeof(pk[0])));	/* one left */
		CHECK_OK(fw_objstore_open_local(&os, dir[0]));
		CHECK_OK(fw_obj_get(os, &out, &x, "col"));
		CHECK(out.len == sizeof(text) && memcmp(out.data, text, out.len) == 0);
		CHECK_OK(fw_obj_get(os, &out, &y[0], "ixl"));
		CHECK_OK(fw_obj_get(os, &out, &y[1], "ixl"));
		fw_objstore_free(os);
		fw_buf_release(&out);
	}
}

/*
 * A pack removed between the listing of indexes and the opening of its pack
 * (gc and commit merges remove indexes, then packs): an index left without
 * its pack is skipped, and what it alone listed reads as not found, where
 * opening the store used to fail with "cannot open".
 */
void
test_pack_removed_while_listed(void)
{
	char dir[300], idx[4400], copy[4400];
	fw_objstore *os;
	fw_oid a, b;
	uint64_t stored;
	fw_buf out = FW_BUF_INIT;
	size_t len = 0;

	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK(fw_obj_put(os, &b, &stored, "col", "only in the removed pack", 24) >= 0);
	CHECK_OK(fw_objstore_flush(os));
	fw_objstore_free(os);
	CHECK(find_pack(dir, ".idx", idx, sizeof(idx)));
	char *bytes = slurp(idx, &len);
	CHECK(bytes != NULL);
	/* its index stays under another pack's name; the pack goes */
	snprintf(copy, sizeof(copy), "%s/pack/pack-%064d.idx", dir, 0);
	FILE *f = fopen(copy, "wb");
	CHECK(f && bytes && fwrite(bytes, 1, len, f) == len && fclose(f) == 0);
	free(bytes);
	CHECK(unlink(idx) == 0);
	idx[strlen(idx) - 4] = '\0';
	strcat(idx, ".pack");
	CHECK(unlink(idx) == 0);

	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK(fw_obj_put(os, &a, &stored, "col", "in a pack that stays", 20) >= 0);
	CHECK_OK(fw_objstore_flush(os));
	CHECK_OK(fw_obj_get(os, &out, &a, "col"));
	CHECK_INT(fw_obj_get(os, &out, &b, "col"), FW_ENOTFOUND);
	CHECK_INT(fw_obj_has(os, &b), 0);
	fw_objstore_free(os);
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK_OK(fw_obj_get(os, &out, &a, "col"));
	fw_objstore_free(os);
	fw_buf_release(&out);
}

/*
 * Pack indexes are read at the first lookup, not when the store opens (fw add
 * and fw status look nothing up): a damaged index lets the store open, and
 * the first has or get reports it, naming the index; objects put meanwhile
 * are found. Reading it at open would fail fw_objstore_open_local here.
 */
void
test_pack_index_at_first_lookup(void)
{
	char dir[300], idx[4400];
	fw_objstore *os;
	fw_oid a, b;
	uint64_t stored;
	fw_buf out = FW_BUF_INIT;

	snprintf(dir, sizeof(dir), "%s", t_tmpdir());
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK(fw_obj_put(os, &a, &stored, "col", "in the first pack", 17) >= 0);
	CHECK_OK(fw_objstore_flush(os));
	fw_objstore_free(os);
	CHECK(find_pack(dir, ".idx", idx, sizeof(idx)));
	/* one byte of the first entry's id: the checksum no longer holds */
	int fd = open(idx, O_RDWR);
	unsigned char c = 0;
	CHECK(fd >= 0 && pread(fd, &c, 1, 12) == 1);
	c ^= 0x20;
	CHECK(pwrite(fd, &c, 1, 12) == 1 && close(fd) == 0);

	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK_INT(fw_obj_has(os, &a), FW_ECORRUPT);
	CHECK(strstr(fw_error_last(), "pack index") != NULL);
	fw_objstore_free(os);
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK_INT(fw_obj_get(os, &out, &a, "col"), FW_ECORRUPT);
	CHECK(strstr(fw_error_last(), "pack index") != NULL);
	fw_objstore_free(os);
	/* undamaged, it is read at the first lookup and finds what it lists */
	fd = open(idx, O_RDWR);
	c ^= 0x20;
	CHECK(fd >= 0 && pwrite(fd, &c, 1, 12) == 1 && close(fd) == 0);
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK(fw_obj_put(os, &b, &stored, "col", "in the second pack", 18) >= 0);
	CHECK_INT(fw_obj_has(os, &a), 1);
	CHECK_OK(fw_obj_get(os, &out, &b, "col"));
	CHECK(out.len == 18 && memcmp(out.data, "in the second pack", 18) == 0);
	fw_objstore_free(os);
	fw_buf_release(&out);
}
