/*
 * Staged chunks: the column objects of a run of puts, built by fw add (see
 * internal.h and docs/design.md (n)). A chunk's columns are built exactly as
 * the commit builds a row group's columns from the same records (same
 * values in the same rows, same types, same statistics), so a row group that
 * holds exactly a chunk's rows takes its objects as they are, and the tree is
 * the same whichever path built it.
 *
 * A CHUNK op's body: varint rows, varint columns, then per column the entry
 * a row group header has (fw_rg_col_encode). A REF op's body: varint id
 * length, id, varint record size.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdlib.h>
#include <string.h>

void
fw_chunk_release(fw_chunk *ch)
{
	if (ch == NULL)
		return;
	for (size_t i = 0; i < ch->ncols; i++)
		free(ch->cols[i].name);
	free(ch->cols);
	memset(ch, 0, sizeof(*ch));
}

static int
bad_op(void)
{
	return fw_error_set(FW_ECORRUPT, "bad staged op");
}

/* The column of field f, added (MISSING in the rows before) when new. */
static int
column_of(fw_column **cols, size_t *ncols, size_t *cap, const fw_schema *schema,
    const fw_field *f, uint32_t rows)
{
	char name[1100];
	int k;

	for (size_t i = 0; i < *ncols; i++)
		if (strlen((*cols)[i].name) == f->namelen &&
		    memcmp((*cols)[i].name, f->name, f->namelen) == 0)
			return (int)i;
	if (f->namelen >= sizeof(name) || memchr(f->name, '\0', f->namelen))
		return fw_error_set(FW_EINVALID, "bad field name");
	if (*ncols == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		fw_column *n = realloc(*cols, nc * sizeof(*n));
		if (n == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		*cols = n;
		*cap = nc;
	}
	memcpy(name, f->name, f->namelen);
	name[f->namelen] = '\0';
	k = fw_schema_find(schema, f->name, f->namelen);
	fw_column *c = &(*cols)[*ncols];
	fw_column_init(c, name, k >= 0 ? schema->cols[k].type : FW_TYPE_JSON);
	if (c->name == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	(*ncols)++;
	for (uint32_t r = 0; r < rows; r++)
		if (fw_column_append(c, FW_KIND_MISSING, NULL, 0) < 0)
			return fw_error_set(FW_ENOMEM, "out of memory");
	return (int)(*ncols - 1);
}

int
fw_chunk_build(fw_objstore *os, const fw_schema *schema, const char *ops, size_t len,
    fw_chunk *out, fw_buf *refs)
{
	fw_column *cols = NULL;
	size_t ncols = 0, capcols = 0, nf = 0, capf = 0;
	fw_field *f = NULL;
	uint8_t *set = NULL;
	size_t capset = 0;
	uint32_t rows = 0;
	fw_buf body = FW_BUF_INIT;
	fw_rd r;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	fw_rd_init(&r, ops, len);
	while (rc == 0 && fw_rd_left(&r) > 0) {
		uint8_t op;
		uint64_t blen;
		const void *p;
		const char *id;
		size_t idlen;

		if (fw_rd_u8(&r, &op) < 0 || op != FW_OP_PUT || fw_rd_varint(&r, &blen) < 0 ||
		    fw_rd_bytes(&r, &p, blen) < 0) {
			rc = bad_op();
			break;
		}
		if ((rc = fw_op_decode(p, blen, &id, &idlen, &f, &nf, &capf)) < 0)
			break;
		if (ncols + nf > capset) {
			size_t nc = (ncols + nf) * 2;
			uint8_t *ns = realloc(set, nc);
			if (ns == NULL) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				break;
			}
			set = ns;
			capset = nc;
		}
		memset(set, 0, capset);
		/* A record's first field of a name is its value (fw_rec_get). */
		for (size_t i = 0; i < nf && rc == 0; i++) {
			if (f[i].kind == FW_KIND_MISSING)
				continue;
			int k = column_of(&cols, &ncols, &capcols, schema, &f[i], rows);
			if (k < 0) {
				rc = k;
				break;
			}
			if (set[k])
				continue;
			set[k] = 1;
			rc = fw_column_append(&cols[k], f[i].kind, f[i].payload, f[i].len);
		}
		for (size_t k = 0; k < ncols && rc == 0; k++)
			if (!set[k])
				rc = fw_column_append(&cols[k], FW_KIND_MISSING, NULL, 0);
		if (rc < 0)
			break;
		fw_buf_reset(&body);
		fw_buf_add_varint(&body, idlen);
		fw_buf_add(&body, id, idlen);
		fw_buf_add_varint(&body, fw_fields_size(f, nf));
		fw_buf_addc(refs, FW_OP_REF);
		fw_buf_add_varint(refs, body.len);
		if ((rc = fw_buf_add(refs, body.data, body.len)) < 0)
			break;
		rows++;
	}
	if (rc == 0 && rows == 0)
		rc = fw_error_set(FW_EINVALID, "an empty chunk");
	if (rc == 0 && (out->cols = calloc(ncols + 1, sizeof(*out->cols))) == NULL)
		rc = fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t k = 0; k < ncols && rc == 0; k++) {
		fw_rg_col *c = &out->cols[k];
		if ((rc = fw_column_put(os, &cols[k], c)) < 0)
			break;
		c->type = cols[k].type;
		c->name = cols[k].name;
		cols[k].name = NULL;
		out->ncols++;
	}
	out->nrows = rows;
	for (size_t k = 0; k < ncols; k++)
		fw_column_release(&cols[k]);
	free(cols);
	free(set);
	free(f);
	fw_buf_release(&body);
	if (rc < 0)
		fw_chunk_release(out);
	return rc < 0 ? rc : 0;
}

int
fw_chunk_encode(fw_buf *out, const fw_chunk *ch)
{
	fw_buf body = FW_BUF_INIT;
	int rc = 0;

	fw_buf_add_varint(&body, ch->nrows);
	fw_buf_add_varint(&body, ch->ncols);
	for (size_t k = 0; k < ch->ncols && rc == 0; k++)
		rc = fw_rg_col_encode(&body, ch->cols[k].name, &ch->cols[k]);
	if (rc == 0) {
		fw_buf_addc(out, FW_OP_CHUNK);
		fw_buf_add_varint(out, body.len);
		rc = fw_buf_add(out, body.data, body.len);
	}
	fw_buf_release(&body);
	return rc;
}

int
fw_chunk_decode(const char *p, size_t len, fw_chunk *out)
{
	fw_rd r;
	uint64_t rows, ncols;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	fw_rd_init(&r, p, len);
	if (fw_rd_varint(&r, &rows) < 0 || rows == 0 || rows > UINT32_MAX ||
	    fw_rd_varint(&r, &ncols) < 0 || ncols > 4096)
		return fw_error_set(FW_ECORRUPT, "bad staged chunk");
	if ((out->cols = calloc(ncols + 1, sizeof(*out->cols))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	out->nrows = (uint32_t)rows;
	for (uint64_t k = 0; k < ncols && rc == 0; k++) {
		fw_rg_col *c = &out->cols[k];
		rc = fw_rg_col_decode(&r, c);
		if (c->name)
			out->ncols++;
		if (rc == 0 && c->st.count != rows)
			rc = fw_error_set(FW_ECORRUPT, "column row count differs from the chunk's");
		for (uint64_t j = 0; j < k && rc == 0; j++)
			if (strcmp(out->cols[j].name, c->name) == 0)
				rc = fw_error_set(FW_ECORRUPT, "column '%s' twice", c->name);
	}
	if (rc == 0 && fw_rd_left(&r) != 0)
		rc = fw_error_set(FW_ECORRUPT, "trailing bytes");
	if (rc < 0) {
		fw_chunk_release(out);
		return rc == FW_ENOMEM ? rc : fw_error_wrap(FW_ECORRUPT, "bad staged chunk");
	}
	return 0;
}

int
fw_chunk_load(fw_objstore *os, const fw_chunk *ch, fw_column **out)
{
	fw_column *cols = calloc(ch->ncols + 1, sizeof(*cols));
	fw_buf b = FW_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (cols == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t k = 0; k < ch->ncols && rc == 0; k++) {
		const fw_rg_col *c = &ch->cols[k];
		if ((rc = fw_obj_get(os, &b, &c->oid, "col")) < 0)
			break;
		if ((rc = fw_column_decode(&cols[k], c->name, c->type, b.data, b.len)) < 0)
			break;
		if (cols[k].n != ch->nrows) {
			char hex[FW_OID_HEXSZ + 1];
			fw_oid_tohex(hex, &c->oid);
			rc = fw_error_set(FW_ECORRUPT, "staged column %s has %u rows, its chunk %u",
			    hex, cols[k].n, ch->nrows);
		}
	}
	fw_buf_release(&b);
	if (rc < 0) {
		for (size_t k = 0; k < ch->ncols; k++)
			fw_column_release(&cols[k]);
		free(cols);
		return rc;
	}
	*out = cols;
	return 0;
}

int
fw_chunk_row(const fw_chunk *ch, fw_column *cols, uint32_t row, fw_buf *mem,
    fw_field **f, size_t *nf, size_t *cap)
{
	size_t n = 0;
	int rc = 0;

	fw_buf_reset(mem);
	if (ch->ncols > *cap) {
		fw_field *nfp = realloc(*f, ch->ncols * sizeof(*nfp));
		if (nfp == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		*f = nfp;
		*cap = ch->ncols;
	}
	/* Offsets first: mem may move while it grows. */
	for (size_t k = 0; k < ch->ncols && rc == 0; k++) {
		const fw_column *c = &cols[k];
		if (c->kind[row] == FW_KIND_MISSING)
			continue;
		fw_field *x = &(*f)[n++];
		x->namelen = (uint32_t)strlen(c->name);
		x->kind = c->kind[row];
		x->len = c->off[row + 1] - c->off[row];
		x->name = (const char *)(uintptr_t)mem->len;
		fw_buf_add(mem, c->name, x->namelen);
		x->payload = (const char *)(uintptr_t)mem->len;
		rc = fw_buf_add(mem, c->data + c->off[row], x->len);
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		(*f)[i].name = mem->data + (uintptr_t)(*f)[i].name;
		(*f)[i].payload = mem->data + (uintptr_t)(*f)[i].payload;
	}
	*nf = n;
	return 0;
}
