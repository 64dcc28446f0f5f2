/* The branch and tag name checker: what it refuses and what it lets through. */
#include "harness.h"
#include "internal.h"
#include "fw/error.h"

#include <string.h>

void test_refname_table(void);

void
test_refname_table(void)
{
	static const struct { const char *name; const char *why; } cases[] = {
		/* accepted: why is NULL */
		{ "main", NULL }, { "v3", NULL }, { "sft-2026-11-21", NULL },
		{ "a.b", NULL }, { "a_b", NULL }, { "A", NULL }, { "cafe", NULL },
		{ "x,y", NULL }, { "r\xc3\xa9sum\xc3\xa9", NULL }, { "a{b}", NULL },
		/* refused, with the rule in the message */
		{ "", "it is empty" },
		{ "..", "it starts with '.'" },
		{ "a..b", "it holds '..'" },
		{ "a~1", "it holds '~'" },
		{ "a^", "it holds '^'" },
		{ "a:b", "it holds ':'" },
		{ "a b", "it holds a space" },
		{ "a\tb", "control character 0x09 at byte 1" },
		{ "a\x7f", "control character 0x7f at byte 1" },
		{ "\x1b[31m", "control character 0x1b at byte 0" },
		{ "-x", "it starts with '-'" },
		{ ".x", "it starts with '.'" },
		{ "a@{1}", "it holds '@'" },
		{ "@", "it holds '@'" },
		{ "a/b", "it holds '/'" },
		{ "a\\b", "it holds '\\'" },
		{ "a*", "it holds '*'" },
		{ "a?", "it holds '?'" },
		{ "a[b", "it holds '['" },
		{ "x.lock", "it ends with '.' or '.lock'" },
		{ "x.", "it ends with '.' or '.lock'" },
	};
	char long_name[202];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = fw_refname_check("branch", cases[i].name);
		if (cases[i].why == NULL) {
			CHECK_MSG(rc == 0, "'%s' refused: %s", cases[i].name, fw_error_last());
		} else {
			CHECK_MSG(rc == FW_EINVALID, "'%s' accepted", cases[i].name);
			CHECK_MSG(strstr(fw_error_last(), cases[i].why) != NULL,
			    "'%s': message '%s' lacks '%s'", cases[i].name, fw_error_last(),
			    cases[i].why);
			CHECK_MSG(strncmp(fw_error_last(), "bad branch name", 15) == 0,
			    "'%s': message '%s'", cases[i].name, fw_error_last());
		}
	}
	memset(long_name, 'x', 200);
	long_name[200] = '\0';
	CHECK_OK(fw_refname_check("tag", long_name));
	long_name[200] = 'x';
	long_name[201] = '\0';
	CHECK_INT(fw_refname_check("tag", long_name), FW_EINVALID);
	CHECK(strstr(fw_error_last(), "bad tag name 'xxxx") != NULL);
	CHECK(strstr(fw_error_last(), "201 bytes, at most 200") != NULL);
}
