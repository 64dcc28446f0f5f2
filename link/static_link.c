/*
 * Linked into fw when it is linked against the libraries' archives (the
 * Makefile's STATIC, docs/design.md (w)): a command then starts in about
 * 1.2 ms instead of 3.4, the dynamic loader no longer mapping and relocating
 * 23 shared objects. fw reads and writes a local repository only: it never
 * fetches, pushes or clones, so libgit2's network transports are never
 * used. What they cost every command anyway is taken out here:
 *
 * - TLS: git_libgit2_init set up mbedTLS, gathering entropy (HAVEGE) for
 *   its random generator and parsing the system's CA bundle (see
 *   link/nocerts.c). The link wraps (-Wl,--wrap) the stream's set-up,
 *   which does nothing, and its two constructors, which fail with an
 *   error that says so.
 * - SSH: git_libgit2_init called libssh2_init, which initialises OpenSSL
 *   in full (its error strings, its engines, and their clean-up at exit),
 *   none of which fw's SHA-256 needs. Wrapped likewise: set-up does
 *   nothing, the transport fails with an error.
 *   Together 0.3-0.4 ms of every command's start (docs/benchmarks.md).
 * - GSSAPI: libgit2's HTTP "Negotiate" authentication calls MIT Kerberos,
 *   which Debian ships only as shared objects (five more libraries at every
 *   start). These stand in for it and fail as a library without Kerberos
 *   support would (GSS_S_FAILURE).
 * Should fw ever talk to a remote through libgit2, drop the wraps from the
 * Makefile and link libgssapi_krb5 instead.
 */
#include <stdint.h>

#include <git2/errors.h>

typedef uint32_t OM_uint32;
#define GSS_S_FAILURE ((OM_uint32)13 << 16)

/* libgit2's internal prototypes (src/libgit2/streams/mbedtls.h,
 * transports/smart.h, transports/ssh.h), with its types opaque. */

int __wrap_git_mbedtls_stream_global_init(void);
int __wrap_git_mbedtls_stream_new(void **out, const char *host, const char *port);
int __wrap_git_mbedtls_stream_wrap(void **out, void *in, const char *host);
int __wrap_git_transport_ssh_global_init(void);
int __wrap_git_smart_subtransport_ssh(void **out, void *owner, void *param);
int __wrap_git_transport_ssh_with_paths(void **out, void *owner, void *payload);

static int
no_network(int klass, void **out)
{
	*out = 0;
	git_error_set_str(klass, "fw's libgit2 has no network transports (link/static_link.c)");
	return -1;
}

int
__wrap_git_mbedtls_stream_global_init(void)
{
	return 0;
}

int
__wrap_git_mbedtls_stream_new(void **out, const char *host, const char *port)
{
	(void)host;
	(void)port;
	return no_network(GIT_ERROR_NET, out);
}

int
__wrap_git_mbedtls_stream_wrap(void **out, void *in, const char *host)
{
	(void)in;
	(void)host;
	return no_network(GIT_ERROR_NET, out);
}

int
__wrap_git_transport_ssh_global_init(void)
{
	return 0;
}

int
__wrap_git_smart_subtransport_ssh(void **out, void *owner, void *param)
{
	(void)owner;
	(void)param;
	return no_network(GIT_ERROR_SSH, out);
}

int
__wrap_git_transport_ssh_with_paths(void **out, void *owner, void *payload)
{
	(void)owner;
	(void)payload;
	return no_network(GIT_ERROR_SSH, out);
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
