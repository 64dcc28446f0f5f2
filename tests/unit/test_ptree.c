/* The prolly tree against a model: random batches of puts and deletes, small
 * node shapes so that trees grow several levels. After every batch the tree
 * must hold exactly the model's entries, and its root must equal the root of
 * a tree built from scratch from the same entries (history independence). */
#include "harness.h"
#include "internal.h"
#include "fw/error.h"

#include <stdlib.h>

#define NKEYS 4000

static uint64_t rng = 88172645463325252ull;

static uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void
small_shapes(fw_ptree *t)
{
	t->leaf_shape.min = 64;
	t->leaf_shape.max = 512;
	t->leaf_shape.lambda = 160;
	t->node_shape.min = 96;
	t->node_shape.max = 600;
	t->node_shape.lambda = 200;
}

/* key i -> its 8 bytes; model[i] = value or 0 when absent */
static uint64_t keyof(size_t i) { return (uint64_t)i * 0x9e3779b97f4a7c15ull; }

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(((const fw_ptree_edit *)a)->key, ((const fw_ptree_edit *)b)->key, 8);
}

static void
build_scratch(fw_ptree *t, const uint64_t *model, fw_ptree_root *out)
{
	fw_ptree_edit *e = calloc(NKEYS, sizeof(*e));
	fw_ptree_root empty = { .empty = 1 };
	size_t n = 0;

	for (size_t i = 0; i < NKEYS; i++)
		if (model[i]) {
			be64(e[n].key, keyof(i));
			e[n].op = FW_EDIT_PUT;
			e[n].size = 16;
			e[n].ref = (int64_t)model[i];
			n++;
		}
	qsort(e, n, sizeof(*e), key_cmp);
	CHECK_OK(fw_ptree_apply(t, out, &empty, e, n));
	free(e);
}

void
test_ptree_model(void)
{
	fw_objstore *os;
	fw_ptree t;
	fw_ptree_root root = { .empty = 1 }, scratch;
	uint64_t *model = calloc(NKEYS, sizeof(*model));
	fw_ptree_edit *e = calloc(NKEYS, sizeof(*e));
	int max_height = 0;

	CHECK_OK(fw_objstore_open_local(&os, t_tmpdir()));
	fw_index_tree_init(&t, os, NULL);
	small_shapes(&t);
	for (int round = 0; round < 40; round++) {
		size_t n = 0;
		size_t batch = round == 0 ? 2000 : 1 + next_rand() % (round % 5 == 0 ? 600 : 40);
		/* unique keys per batch */
		uint8_t *seen = calloc(NKEYS, 1);
		for (size_t b = 0; b < batch; b++) {
			size_t i = next_rand() % NKEYS;
			if (seen[i])
				continue;
			seen[i] = 1;
			be64(e[n].key, keyof(i));
			e[n].ref = (int64_t)(1 + next_rand() % 1000);
			if (model[i] && next_rand() % 3 == 0) {
				e[n].op = FW_EDIT_DEL;
				model[i] = 0;
			} else if (!model[i] && next_rand() % 7 == 0) {
				e[n].op = FW_EDIT_DEL;	/* delete of an absent key: no-op */
			} else {
				e[n].op = FW_EDIT_PUT;
				e[n].size = 16;
				model[i] = (uint64_t)e[n].ref;
			}
			n++;
		}
		free(seen);
		qsort(e, n, sizeof(*e), key_cmp);
		fw_ptree_root next;
		CHECK_OK(fw_ptree_apply(&t, &next, &root, e, n));
		root = next;
		if (root.height > max_height)
			max_height = root.height;
		/* contents */
		size_t count = 0, wrong = 0;
		for (size_t i = 0; i < NKEYS; i++) {
			uint8_t k[8];
			uint64_t v = 0;
			be64(k, keyof(i));
			int rc = fw_index_lookup(os, &root, k, &v);
			if (model[i]) {
				count++;
				wrong += rc != 1 || v != model[i];
			} else {
				wrong += rc != 0;
			}
		}
		CHECK_MSG(wrong == 0, "round %d: %zu keys wrong", round, wrong);
		CHECK_INT(root.empty ? 0 : root.top.count, count);
		/* history independence */
		build_scratch(&t, model, &scratch);
		CHECK_MSG(root.empty == scratch.empty && root.height == scratch.height &&
		    (root.empty || fw_oid_cmp(&root.top.oid, &scratch.top.oid) == 0),
		    "round %d: incremental root differs from the root built from scratch", round);
	}
	CHECK_MSG(max_height >= 2, "the test should grow at least 3 levels (got %d)", max_height);
	/* delete everything: the empty tree */
	size_t n = 0;
	for (size_t i = 0; i < NKEYS; i++)
		if (model[i]) {
			be64(e[n].key, keyof(i));
			e[n].op = FW_EDIT_DEL;
			n++;
		}
	qsort(e, n, sizeof(*e), key_cmp);
	fw_ptree_root next;
	CHECK_OK(fw_ptree_apply(&t, &next, &root, e, n));
	CHECK(next.empty);
	fw_objstore_free(os);
	free(model);
	free(e);
}

/* An append at the tail rewrites only nodes on the right edge. */
void
test_ptree_append_cost(void)
{
	fw_objstore *os;
	fw_ptree t;
	fw_ptree_root root = { .empty = 1 }, next;
	fw_ptree_edit *e = calloc(20000, sizeof(*e));
	fw_objstore_counters a, b;

	CHECK_OK(fw_objstore_open_local(&os, t_tmpdir()));
	fw_index_tree_init(&t, os, NULL);
	for (size_t i = 0; i < 20000; i++) {
		be64(e[i].key, i + 1);
		e[i].op = FW_EDIT_PUT;
		e[i].size = 16;
		e[i].ref = 7;
	}
	CHECK_OK(fw_ptree_apply(&t, &root, &(fw_ptree_root){ .empty = 1 }, e, 19990));
	fw_objstore_counters_get(os, &a);
	CHECK_OK(fw_ptree_apply(&t, &next, &root, e + 19990, 10));
	fw_objstore_counters_get(os, &b);
	CHECK_INT(next.top.count, 20000);
	/* 20,000 entries make ~150 leaves; the append writes the last leaf or two
	 * and the right edge above them. */
	CHECK_MSG(b.put_new - a.put_new <= 6, "append wrote %llu objects",
	    (unsigned long long)(b.put_new - a.put_new));
	fw_objstore_free(os);
	free(e);
}
