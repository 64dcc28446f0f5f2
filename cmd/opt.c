#include "cmd.h"
#include "fw/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
print_usage_lines(FILE *f, const char *const *usage)
{
	for (int i = 0; usage[i]; i++)
		fprintf(f, "%s%s\n", i ? "   or: " : "usage: ", usage[i]);
}

void
fw_opt_usage(FILE *f, const char *cmd, const char *const *usage,
    const struct fw_opt *opts)
{
	(void)cmd;
	print_usage_lines(f, usage);
	fprintf(f, "\n");
	for (const struct fw_opt *o = opts; o && o->kind != FW_OPT_END; o++) {
		char left[64];
		int n = 0;

		if (o->shortname && o->longname)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->shortname,
			    o->longname);
		else if (o->shortname)
			n = snprintf(left, sizeof(left), "-%c", o->shortname);
		else
			n = snprintf(left, sizeof(left), "    --%s", o->longname);
		if (o->argname && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->argname);
		fprintf(f, "    %-26s %s\n", left, o->help);
	}
	fprintf(f, "    %-26s %s\n", "-h, --help", "show this help");
}

int
fw_usage_error(const char *cmd, const char *const *usage, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fw: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_usage_lines(stderr, usage);
	return 2;
}

int
fw_fail(void)
{
	fprintf(stderr, "fw: %s\n", fw_error_last());
	return 1;
}

static int
set_opt(const char *cmd, const char *const *usage, const struct fw_opt *o,
    const char *val, const char *spelled)
{
	switch (o->kind) {
	case FW_OPT_FLAG:
		*(int *)o->dest = 1;
		return 0;
	case FW_OPT_STR:
		*(const char **)o->dest = val;
		return 0;
	case FW_OPT_INT: {
		char *end;
		errno = 0;
		long v = strtol(val, &end, 10);
		if (errno || end == val || *end || v < 0)
			return fw_usage_error(cmd, usage,
			    "%s needs a non-negative number, not '%s'", spelled, val);
		*(long *)o->dest = v;
		return 0;
	}
	case FW_OPT_LIST: {
		struct fw_strlist *l = o->dest;
		const char **v = realloc(l->v, sizeof(*v) * (size_t)(l->n + 1));
		if (v == NULL)
			return fw_usage_error(cmd, usage, "out of memory");
		v[l->n++] = val;
		l->v = v;
		return 0;
	}
	case FW_OPT_END:
		break;
	}
	return 2;
}

int
fw_opt_parse(const char *cmd, const char *const *usage,
    const struct fw_opt *opts, int argc, char **argv, char ***args, int *nargs)
{
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = 0, only_args = 0;

	*args = NULL;
	*nargs = 0;
	if (pos == NULL)
		return fw_usage_error(cmd, usage, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct fw_opt *o = NULL;
		const char *val = NULL;
		char spelled[80];

		if (only_args || a[0] != '-' || a[1] == '\0') {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fw_opt_usage(stdout, cmd, usage, opts);
			rc = 1;
			goto done;
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			for (const struct fw_opt *p = opts; p->kind != FW_OPT_END; p++)
				if (p->longname && strlen(p->longname) == len &&
				    strncmp(p->longname, name, len) == 0)
					o = p;
			snprintf(spelled, sizeof(spelled), "--%.*s", (int)len, name);
			if (o == NULL) {
				rc = fw_usage_error(cmd, usage, "unknown option '%s'", spelled);
				goto done;
			}
			if (eq && o->kind == FW_OPT_FLAG) {
				rc = fw_usage_error(cmd, usage, "%s takes no value", spelled);
				goto done;
			}
			val = eq ? eq + 1 : NULL;
		} else {
			for (const struct fw_opt *p = opts; p->kind != FW_OPT_END; p++)
				if (p->shortname == a[1])
					o = p;
			snprintf(spelled, sizeof(spelled), "-%c", a[1]);
			if (o == NULL) {
				rc = fw_usage_error(cmd, usage, "unknown option '%s'", spelled);
				goto done;
			}
			if (a[2] != '\0') {
				if (o->kind == FW_OPT_FLAG) {
					rc = fw_usage_error(cmd, usage,
					    "%s takes no value", spelled);
					goto done;
				}
				val = a + 2;
			}
		}
		if (o->kind != FW_OPT_FLAG && val == NULL) {
			if (i + 1 >= argc) {
				rc = fw_usage_error(cmd, usage, "%s needs a value", spelled);
				goto done;
			}
			val = argv[++i];
		}
		if ((rc = set_opt(cmd, usage, o, val, spelled)) != 0)
			goto done;
	}
	*args = pos;
	*nargs = npos;
	pos = NULL;
done:
	free(pos);
	return rc;
}

/* Asked once: progress asks for every row group it reports. */
int
cmd_stderr_tty(void)
{
	static atomic_int tty = -1;
	int t = atomic_load(&tty);

	if (t < 0)
		atomic_store(&tty, t = isatty(2));
	return t;
}
