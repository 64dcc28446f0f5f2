/*
 * Linked into fw when it is linked against the libraries' archives (the
 * Makefile's STATIC, docs/design.md (w)): a command then starts in about
 * 1.2 ms instead of 3.4, the dynamic loader no longer mapping and relocating
 * 23 shared objects. Two things the shared build gets otherwise:
 *
 * - The CA bundle (see link/nocerts.c): the executable's own definitions
 *   cannot displace libmbedx509's inside one static link, so the link wraps
 *   the two calls (-Wl,--wrap) and libgit2's calls land here.
 * - GSSAPI: libgit2's HTTP "Negotiate" authentication calls MIT Kerberos,
 *   which Debian ships only as shared objects (five more libraries at every
 *   start). fw never talks HTTP through libgit2, so these stand in for it
 *   and fail as a library without Kerberos support would (GSS_S_FAILURE).
 *   Should fw ever fetch or push over HTTP, link libgssapi_krb5 instead.
 */
#include <stdint.h>

typedef uint32_t OM_uint32;
#define GSS_S_FAILURE ((OM_uint32)13 << 16)

int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path);

int
__wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return -1;
}

int
__wrap_mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return -1;
}

/* The GSSAPI symbols libgit2.a refers to, with the C types of gssapi.h
 * reduced to what the calling convention sees. */
void *GSS_C_NT_HOSTBASED_SERVICE;
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void *ctx, void *token);
OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech,
    OM_uint32 *more, void *out);
OM_uint32 gss_import_name(OM_uint32 *minor, void *name, void *type, void *out);
OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void *out);
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void *ctx, void *target,
    void *mech, OM_uint32 flags, OM_uint32 time, void *bindings, void *in, void *actual,
    void *out, OM_uint32 *ret_flags, OM_uint32 *ret_time);
OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buf);
OM_uint32 gss_release_name(OM_uint32 *minor, void *name);
OM_uint32 gss_release_oid_set(OM_uint32 *minor, void *set);

OM_uint32
gss_delete_sec_context(OM_uint32 *minor, void *ctx, void *token)
{
	(void)ctx;
	(void)token;
	*minor = 0;
	return 0;
}

OM_uint32
gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech, OM_uint32 *more,
    void *out)
{
	(void)status;
	(void)type;
	(void)mech;
	(void)out;
	*minor = 0;
	*more = 0;
	return GSS_S_FAILURE;
}

OM_uint32
gss_import_name(OM_uint32 *minor, void *name, void *type, void *out)
{
	(void)name;
	(void)type;
	(void)out;
	*minor = 0;
	return GSS_S_FAILURE;
}

OM_uint32
gss_indicate_mechs(OM_uint32 *minor, void *out)
{
	(void)out;
	*minor = 0;
	return GSS_S_FAILURE;
}

OM_uint32
gss_init_sec_context(OM_uint32 *minor, void *cred, void *ctx, void *target, void *mech,
    OM_uint32 flags, OM_uint32 time, void *bindings, void *in, void *actual, void *out,
    OM_uint32 *ret_flags, OM_uint32 *ret_time)
{
	(void)cred;
	(void)ctx;
	(void)target;
	(void)mech;
	(void)flags;
	(void)time;
	(void)bindings;
	(void)in;
	(void)actual;
	(void)out;
	(void)ret_flags;
	(void)ret_time;
	*minor = 0;
	return GSS_S_FAILURE;
}

OM_uint32
gss_release_buffer(OM_uint32 *minor, void *buf)
{
	(void)buf;
	*minor = 0;
	return 0;
}

OM_uint32
gss_release_name(OM_uint32 *minor, void *name)
{
	(void)name;
	*minor = 0;
	return 0;
}

OM_uint32
gss_release_oid_set(OM_uint32 *minor, void *set)
{
	(void)set;
	*minor = 0;
	return 0;
}
