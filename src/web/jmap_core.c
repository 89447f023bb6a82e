/* jmap_core.c: JMAP core (RFC 8620): the session resource, Request
   objects, method calls in order with result references, errors, and
   Core/echo. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "web/jmap_mail.h"
#include "web/jmap_submission.h"

#define JMAP_PROBLEM "urn:ietf:params:jmap:error:"

/* Private state of one request (ctx->core). */
struct jmap_core {
	json_t *responses; /* methodResponses so far */
	json_t *extras;    /* jmap_ctx_extra() of the current call */
	const char *call_id;
};

static json_t *
jmap_core_capability(void)
{
	/* RFC 8620 2: the limits of src/lib/limits.h.  The /query methods
	   sort by their own rules (a comparator's "collation" is not read),
	   so no collation algorithm is claimed. */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:[]}",
			 "maxSizeUpload", (json_int_t)JMAP_UPLOAD_SIZE_MAX,
			 "maxConcurrentUpload",
			 (json_int_t)JMAP_CONCURRENT_UPLOADS_MAX,
			 "maxSizeRequest", (json_int_t)JMAP_REQUEST_SIZE_MAX,
			 "maxConcurrentRequests",
			 (json_int_t)JMAP_CONCURRENT_REQUESTS_MAX,
			 "maxCallsInRequest", (json_int_t)JMAP_CALLS_MAX,
			 "maxObjectsInGet", (json_int_t)JMAP_OBJECTS_GET_MAX,
			 "maxObjectsInSet", (json_int_t)JMAP_OBJECTS_SET_MAX,
			 "collationAlgorithms");
}

/* What the session resource advertises. */
static const struct jmap_capability jmap_capabilities[] = {
    {JMAP_CAP_CORE, JMAP_USING_CORE, jmap_core_capability},
    /* RFC 8621 2-5: Mailbox, Thread, Email, SearchSnippet */
    {JMAP_CAP_MAIL, JMAP_USING_MAIL, jmap_mail_capability},
    /* RFC 8621 6-7: Identity, EmailSubmission */
    {JMAP_CAP_SUBMISSION, JMAP_USING_SUBMISSION, jmap_submission_capability},
};
#define JMAP_NCAPS (sizeof(jmap_capabilities) / sizeof(jmap_capabilities[0]))

static int jmap_core_echo(struct jmap_ctx *ctx, json_t *args,
			  json_t **result_r, json_t **error_r);

const struct jmap_method jmap_core_methods[] = {
    /* RFC 8620 4: the arguments come back unchanged */
    {"Core/echo", JMAP_USING_CORE, jmap_core_echo},
    {NULL, 0, NULL},
};

/* Searched in order for a method name. */
static const struct jmap_method *const jmap_method_tables[] = {
    jmap_core_methods,
    jmap_mail_methods,
    jmap_submission_methods,
};

static int
jmap_core_echo(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
	       json_t **error_r)
{
	(void)ctx;
	(void)error_r;
	*result_r = json_incref(args);
	return 0;
}

json_t *
jmap_error(const char *type, const char *description)
{
	json_t *e = json_pack("{s:s}", "type", type);

	if (description != NULL)
		json_object_set_new(e, "description", json_string(description));
	return e;
}

void
jmap_account_id(int64_t account_id, char out[32])
{
	snprintf(out, 32, "a%" PRId64, account_id);
}

int64_t
jmap_account_parse(const char *s)
{
	int64_t v = 0;

	if (s == NULL || s[0] != 'a' || s[1] < '1' || s[1] > '9')
		return 0;
	for (s++; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

void
jmap_ctx_created_set(struct jmap_ctx *ctx, const char *creation_id,
		     const char *id)
{
	json_object_set_new(ctx->created, creation_id, json_string(id));
}

const char *
jmap_ctx_created_get(struct jmap_ctx *ctx, const char *ref)
{
	return json_string_value(json_object_get(ctx->created, ref));
}

void
jmap_ctx_extra(struct jmap_ctx *ctx, const char *name, json_t *args)
{
	struct jmap_core *core = ctx->core;

	json_array_append_new(core->extras,
			      json_pack("[s, o, s]", name, args, core->call_id));
}

/* ---- the session resource ---- */

/* The parts of the session resource that are not URLs. */
static json_t *
jmap_session_core(const struct jmap_ctx *ctx)
{
	json_t *caps = json_object(), *acaps = json_object();
	json_t *primary = json_object();
	char id[32];
	size_t i;

	jmap_account_id(ctx->account_id, id);
	for (i = 0; i < JMAP_NCAPS; i++) {
		const struct jmap_capability *c = &jmap_capabilities[i];

		if (c->bit == JMAP_USING_CORE) {
			/* RFC 8620 2: the server-wide limits */
			json_object_set_new(caps, c->uri, c->object());
			continue;
		}
		/* RFC 8621 1.3.1, 1.3.2: an empty object in the session's
		   capabilities, the limits in the account's
		   accountCapabilities; RFC 8620 2: the user's own account is
		   the primary one for each (core is not listed there). */
		json_object_set_new(caps, c->uri, json_object());
		json_object_set_new(acaps, c->uri, c->object());
		json_object_set_new(primary, c->uri, json_string(id));
	}
	/* RFC 8620 1.6.2: one account, the user's own. */
	return json_pack("{s:o, s:{s:{s:s, s:b, s:b, s:o}}, s:o, s:s}",
			 "capabilities", caps, "accounts", id, "name",
			 ctx->account, "isPersonal", 1, "isReadOnly", 0,
			 "accountCapabilities", acaps, "primaryAccounts",
			 primary, "username", ctx->account);
}

void
jmap_session_state(const struct jmap_ctx *ctx, char out[17])
{
	json_t *j = jmap_session_core(ctx);
	char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	const char *p;

	for (p = t != NULL ? t : ""; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	snprintf(out, 17, "%016" PRIx64, h);
	free(t);
	json_decref(j);
}

json_t *
jmap_session(const struct jmap_ctx *ctx, const char *base_url)
{
	json_t *j = jmap_session_core(ctx);
	char state[17];

	jmap_session_state(ctx, state);
	/* RFC 8620 2: URI Templates (RFC 6570 level 1) */
	json_object_set_new(j, "apiUrl",
			    json_sprintf("%s/jmap/api/", base_url));
	json_object_set_new(
	    j, "downloadUrl",
	    json_sprintf("%s/jmap/download/{accountId}/{blobId}/{name}"
			 "?accept={type}",
			 base_url));
	json_object_set_new(j, "uploadUrl",
			    json_sprintf("%s/jmap/upload/{accountId}/",
					 base_url));
	json_object_set_new(
	    j, "eventSourceUrl",
	    json_sprintf("%s/jmap/eventsource/?types={types}"
			 "&closeafter={closeafter}&ping={ping}",
			 base_url));
	json_object_set_new(j, "state", json_string(state));
	return j;
}

/* ---- result references (RFC 8620 3.7) ---- */

/* Apply the JSON Pointer p (RFC 6901, with RFC 8620 3.7's "*" over
   arrays) to v.  Returns a new reference, or NULL when the path does
   not resolve. */
static json_t *
jmap_pointer(json_t *v, const char *p, unsigned depth)
{
	char tok[256];
	const char *end, *rest;
	size_t n = 0;

	if (*p == '\0')
		return json_incref(v);
	if (*p != '/' || depth >= JMAP_POINTER_TOKENS_MAX)
		return NULL;
	p++;
	end = strchr(p, '/');
	rest = end != NULL ? end : p + strlen(p);
	/* RFC 6901 4: ~1 is '/', ~0 is '~' */
	for (; p < rest; p++) {
		char ch = *p;

		if (ch == '~') {
			if (p + 1 >= rest || (p[1] != '0' && p[1] != '1'))
				return NULL;
			ch = p[1] == '0' ? '~' : '/';
			p++;
		}
		if (n + 1 >= sizeof(tok))
			return NULL;
		tok[n++] = ch;
	}
	tok[n] = '\0';
	if (json_is_array(v)) {
		size_t i, idx = 0;

		if (strcmp(tok, "*") == 0) {
			json_t *out = json_array(), *item;

			json_array_foreach(v, i, item) {
				json_t *r = jmap_pointer(item, rest, depth + 1);

				if (r == NULL) {
					json_decref(out);
					return NULL;
				}
				/* flattened: arrays add their items */
				if (json_is_array(r))
					json_array_extend(out, r);
				else
					json_array_append(out, r);
				json_decref(r);
			}
			return out;
		}
		/* RFC 6901 4: no leading zeros, digits only */
		if (n == 0 || (n > 1 && tok[0] == '0'))
			return NULL;
		for (i = 0; i < n; i++) {
			if (tok[i] < '0' || tok[i] > '9' || idx > 1000000000)
				return NULL;
			idx = idx * 10 + (size_t)(tok[i] - '0');
		}
		if (idx >= json_array_size(v))
			return NULL;
		return jmap_pointer(json_array_get(v, idx), rest, depth + 1);
	}
	if (json_is_object(v)) {
		json_t *child = json_object_get(v, tok);

		return child != NULL ? jmap_pointer(child, rest, depth + 1)
				     : NULL;
	}
	return NULL;
}

/* Resolve one ResultReference against the responses so far. */
static json_t *
jmap_core_ref(struct jmap_core *core, json_t *ref, const char **why_r)
{
	const char *result_of, *name, *path;
	json_t *resp;
	size_t i;

	if (!json_is_object(ref) ||
	    json_unpack(ref, "{s:s, s:s, s:s}", "resultOf", &result_of, "name",
			&name, "path", &path) != 0) {
		*why_r = "not a ResultReference object";
		return NULL;
	}
	json_array_foreach(core->responses, i, resp) {
		json_t *r;

		if (strcmp(json_string_value(json_array_get(resp, 2)),
			   result_of) != 0)
			continue;
		/* the first response with that id decides */
		if (strcmp(json_string_value(json_array_get(resp, 0)), name) !=
		    0) {
			*why_r = "the referenced response has another name";
			return NULL;
		}
		r = jmap_pointer(json_array_get(resp, 1), path, 0);
		if (r == NULL)
			*why_r = "the path does not resolve";
		return r;
	}
	*why_r = "no earlier response has that method call id";
	return NULL;
}

/* The arguments with every "#name" replaced by the referenced value.
   Returns a new object, or NULL with *error_r set. */
static json_t *
jmap_core_resolve(struct jmap_core *core, json_t *args, json_t **error_r)
{
	json_t *out = json_object(), *val;
	const char *key;

	json_object_foreach(args, key, val) {
		const char *why;
		json_t *r;

		if (key[0] != '#') {
			if (json_object_get(out, key) == NULL)
				json_object_set(out, key, val);
			continue;
		}
		/* RFC 8620 3.7: both "foo" and "#foo" is an error */
		if (json_object_get(args, key + 1) != NULL) {
			*error_r = jmap_error("invalidArguments",
					      "an argument is given both "
					      "directly and by reference");
			json_decref(out);
			return NULL;
		}
		if ((r = jmap_core_ref(core, val, &why)) == NULL) {
			*error_r = jmap_error("invalidResultReference", why);
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, key + 1, r);
	}
	return out;
}

static const struct jmap_method *
jmap_core_find(const char *name)
{
	size_t t;
	const struct jmap_method *m;

	for (t = 0; t < sizeof(jmap_method_tables) /
			    sizeof(jmap_method_tables[0]);
	     t++)
		for (m = jmap_method_tables[t]; m->name != NULL; m++)
			if (strcmp(m->name, name) == 0)
				return m;
	return NULL;
}

/* Run one method call and append its response(s). */
static void
jmap_core_call(struct jmap_ctx *ctx, json_t *call)
{
	struct jmap_core *core = ctx->core;
	const char *name = json_string_value(json_array_get(call, 0));
	const char *id = json_string_value(json_array_get(call, 2));
	const struct jmap_method *m = jmap_core_find(name);
	json_t *args, *result = NULL, *error = NULL;

	core->call_id = id;
	core->extras = json_array();
	if (m == NULL || (m->needs & ctx->using) != m->needs) {
		/* RFC 8620 3.6.2; a method of a capability the request did
		   not name is unknown to it (3.3 "using") */
		error = jmap_error("unknownMethod",
				   m == NULL ? "no such method"
					     : "its capability is not in "
					       "\"using\"");
	} else if ((args = jmap_core_resolve(
			core, json_array_get(call, 1), &error)) != NULL) {
		if (m->fn(ctx, args, &result, &error) == 0 && result == NULL)
			error = jmap_error("serverFail", NULL);
		json_decref(args);
	}
	if (error != NULL) {
		json_decref(result);
		json_array_append_new(core->responses,
				      json_pack("[s, o, s]", "error", error, id));
	} else {
		json_array_append_new(core->responses,
				      json_pack("[s, o, s]", name, result, id));
	}
	json_array_extend(core->responses, core->extras);
	json_decref(core->extras);
	core->extras = NULL;
}

static json_t *
jmap_core_problem(int *status_r, const char *type, const char *limit,
		  const char *detail)
{
	json_t *p = json_pack("{s:s, s:i, s:s}", "type", type, "status", 400,
			      "detail", detail);

	if (limit != NULL)
		json_object_set_new(p, "limit", json_string(limit));
	*status_r = 400;
	return p;
}

/* RFC 8620 3.3: check the Request object's shape; NULL when it fits. */
static const char *
jmap_core_check(json_t *req)
{
	json_t *using = json_object_get(req, "using");
	json_t *calls = json_object_get(req, "methodCalls");
	json_t *created = json_object_get(req, "createdIds");
	json_t *v;
	size_t i;

	if (!json_is_object(req))
		return "the request is not a JSON object";
	if (!json_is_array(using) || !json_is_array(calls))
		return "\"using\" and \"methodCalls\" must be arrays";
	if (created != NULL && !json_is_object(created))
		return "\"createdIds\" must be an object";
	json_array_foreach(using, i, v) {
		if (!json_is_string(v))
			return "\"using\" must hold strings";
	}
	json_array_foreach(calls, i, v) {
		if (json_array_size(v) != 3 ||
		    !json_is_string(json_array_get(v, 0)) ||
		    !json_is_object(json_array_get(v, 1)) ||
		    !json_is_string(json_array_get(v, 2)))
			return "a method call must be [name, arguments, id]";
	}
	return NULL;
}

json_t *
jmap_request(struct jmap_ctx *ctx, const char *body, size_t len,
	     int *status_r, json_t **problem_r)
{
	struct jmap_core core = {0};
	json_t *req, *using, *v, *created, *resp;
	json_error_t jerr;
	const char *why;
	char state[17];
	size_t i, k;

	*problem_r = NULL;
	/* RFC 8620 3.3: I-JSON (RFC 7493: no duplicate names) */
	req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		*problem_r = jmap_core_problem(status_r, JMAP_PROBLEM "notJSON",
					       NULL, "The body is not JSON");
		return NULL;
	}
	if ((why = jmap_core_check(req)) != NULL) {
		*problem_r = jmap_core_problem(
		    status_r, JMAP_PROBLEM "notRequest", NULL, why);
		json_decref(req);
		return NULL;
	}
	using = json_object_get(req, "using");
	ctx->using = 0;
	json_array_foreach(using, i, v) {
		for (k = 0; k < JMAP_NCAPS; k++)
			if (strcmp(json_string_value(v),
				   jmap_capabilities[k].uri) == 0)
				break;
		if (k == JMAP_NCAPS) {
			char *d = NULL;

			if (asprintf(&d,
				     "The request used capability '%s', which "
				     "this server does not support",
				     json_string_value(v)) < 0)
				d = NULL;
			*problem_r = jmap_core_problem(
			    status_r, JMAP_PROBLEM "unknownCapability", NULL,
			    d != NULL ? d : "unknown capability");
			free(d);
			json_decref(req);
			return NULL;
		}
		ctx->using |= jmap_capabilities[k].bit;
	}
	if (json_array_size(json_object_get(req, "methodCalls")) >
	    JMAP_CALLS_MAX) {
		*problem_r = jmap_core_problem(
		    status_r, JMAP_PROBLEM "limit", "maxCallsInRequest",
		    "Too many method calls in one request");
		json_decref(req);
		return NULL;
	}
	created = json_object_get(req, "createdIds");
	ctx->created = created != NULL ? json_deep_copy(created)
				       : json_object();
	core.responses = json_array();
	ctx->core = &core;
	json_array_foreach(json_object_get(req, "methodCalls"), i, v)
		jmap_core_call(ctx, v);
	ctx->core = NULL;
	jmap_session_state(ctx, state);
	resp = json_pack("{s:o, s:s}", "methodResponses", core.responses,
			 "sessionState", state);
	/* RFC 8620 3.4: createdIds only when the request had it */
	if (created != NULL)
		json_object_set(resp, "createdIds", ctx->created);
	json_decref(ctx->created);
	ctx->created = NULL;
	json_decref(req);
	return resp;
}
