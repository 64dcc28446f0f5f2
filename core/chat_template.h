/*
 * core/chat_template.h - a chat template as chat_template.c reads it from
 * YAML and chat_render.c renders it (not public; see fw/tokenizer.h).
 */
#ifndef FW_CHAT_TEMPLATE_H
#define FW_CHAT_TEMPLATE_H

#include "fw/tokenizer.h"

enum chat_args { ARGS_AUTO, ARGS_JSON };

/* How one role's messages are written. Strings are never NULL ("" when not
 * given). prefix and suffix are never trained; an assistant's body and end
 * are, unless train is false. */
struct chat_role {
	int present;
	char *prefix, *suffix, *end;
	char *group_prefix, *group_suffix;	/* around a run of this role */
	int trim;			/* strip white space around the content */
	int content_json;		/* write the content as a JSON string */
	int train;
	/* assistant */
	char *tool_call;		/* with {{name}} and {{arguments}} */
	char *join;			/* between content and calls, and calls */
	enum chat_args args;
	int calls_replace_content;
	long max_tool_calls;		/* 0: any number */
	char *think_open, *think_close, *think_format;	/* {{reasoning}} */
	char *not_query_prefix, *not_query_suffix;
};

enum { ROLE_SYSTEM, ROLE_USER, ROLE_ASSISTANT, ROLE_TOOL, ROLE_N };

struct fw_chat_template {
	char *name;
	char *begin;
	struct chat_role system_first;	/* present: a leading system message */
	int system_always;		/* write system_first even without one */
	struct chat_role role[ROLE_N];
};

/* The index of a role name, or -1. */
int chat_role_index(const char *name);

#endif
