/*
 * Linked into fw when its libraries are shared objects (see link/static_link.c
 * for the static build).
 *
 * fw makes no network connection, but a libgit2 built with mbedTLS (Debian's)
 * parses the system's whole CA bundle in git_libgit2_init: about 3 ms, a
 * third of the start of every command, for certificates nothing uses. These
 * definitions in the executable come first in ELF symbol lookup, ahead of
 * libmbedx509's, so libgit2 starts as it does on a machine without a CA
 * bundle. A libgit2 built with OpenSSL never calls them. Should fw ever talk
 * HTTPS through libgit2, this must go.
 */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_path(void *chain, const char *path);

int
mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return -1;
}

int
mbedtls_x509_crt_parse_path(void *chain, const char *path)
{
	(void)chain;
	(void)path;
	return -1;
}
