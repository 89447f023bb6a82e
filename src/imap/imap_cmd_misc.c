/* imap_cmd_misc.c: the capability list and the commands valid in any
   state: CAPABILITY, NOOP, LOGOUT, ID (RFC 2971), plus ENABLE (RFC 5161)
   and NAMESPACE (RFC 2342). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imap/imap_args.h"
#include "log.h"
#include "xalloc.h"

/* When a capability is listed. */
enum imap_cap_when {
	CAP_OFF,        /* not (yet) complete: never */
	CAP_ALWAYS,     /* in every state */
	CAP_PREAUTH,    /* before login */
	CAP_STARTTLS,   /* before login, without TLS, TLS configured */
	CAP_PLAIN_NO,   /* before login, passwords refused here */
	CAP_PLAIN_OK,   /* before login, passwords accepted here */
	CAP_QUOTA_SET,  /* [imap] quota is set */
};

struct imap_cap {
	const char *name;
	enum imap_cap_when when;
	unsigned enable; /* IMAP_EN_* bit ENABLE turns on, or 0 */
};

/* Every capability buzon knows, in the order they are listed.  An entry
   is switched on (CAP_OFF -> CAP_ALWAYS) when the code behind it is
   complete; ENABLE accepts only listed ones. */
static const struct imap_cap imap_caps[] = {
    {"IMAP4rev1", CAP_ALWAYS, 0},
    /* RFC 9051, with IMAP4rev1 (Appendix A): the rev2 behaviours
       (UTF-8 names, ESEARCH, no RECENT/\Recent/[UNSEEN], LIST on
       SELECT, UID in unsolicited FETCH) after ENABLE IMAP4rev2 */
    {"IMAP4rev2", CAP_ALWAYS, IMAP_EN_IMAP4REV2},
    {"STARTTLS", CAP_STARTTLS, 0},       /* RFC 9051 6.2.1 */
    {"LOGINDISABLED", CAP_PLAIN_NO, 0},  /* RFC 9051 6.2.3 */
    {"AUTH=PLAIN", CAP_PLAIN_OK, 0},     /* RFC 4616 */
    {"AUTH=LOGIN", CAP_PLAIN_OK, 0},     /* draft-murchison-sasl-login */
    {"SASL-IR", CAP_PREAUTH, 0},         /* RFC 4959 */
    {"LITERAL+", CAP_ALWAYS, 0},         /* RFC 7888 */
    {"ID", CAP_ALWAYS, 0},               /* RFC 2971 */
    {"ENABLE", CAP_ALWAYS, 0},           /* RFC 5161 */
    {"NAMESPACE", CAP_ALWAYS, 0},        /* RFC 2342 */
    {"CHILDREN", CAP_ALWAYS, 0},         /* RFC 3348 */
    {"LIST-EXTENDED", CAP_ALWAYS, 0},    /* RFC 5258 */
    {"LIST-STATUS", CAP_ALWAYS, 0},      /* RFC 5819 */
    {"SPECIAL-USE", CAP_ALWAYS, 0},      /* RFC 6154 */
    {"STATUS=SIZE", CAP_ALWAYS, 0},      /* RFC 8438 */
    /* RFC 9208: only with a limit to report (QUOTA responses carry
       usage and limit; the MESSAGE resource has none: not listed) */
    {"QUOTA", CAP_QUOTA_SET, 0},
    {"QUOTA=RES-STORAGE", CAP_QUOTA_SET, 0},
    /* the selected mailbox */
    {"IDLE", CAP_ALWAYS, 0},                   /* RFC 2177 */
    {"UIDPLUS", CAP_ALWAYS, 0},                /* RFC 4315 */
    {"MOVE", CAP_ALWAYS, 0},                   /* RFC 6851 */
    {"UNSELECT", CAP_ALWAYS, 0},               /* RFC 3691 */
    {"MULTIAPPEND", CAP_ALWAYS, 0},            /* RFC 3502 */
    {"CONDSTORE", CAP_ALWAYS, IMAP_EN_CONDSTORE}, /* RFC 7162 */
    {"QRESYNC", CAP_ALWAYS, IMAP_EN_QRESYNC},  /* RFC 7162 */
    /* FETCH BINARY and APPEND literal8 (content with NUL: NO
       [UNKNOWN-CTE], RFC 3516 4.4) */
    {"BINARY", CAP_ALWAYS, 0},                 /* RFC 3516 */
    /* SEARCH, SORT, THREAD */
    {"ESEARCH", CAP_ALWAYS, 0},                /* RFC 4731 */
    {"SEARCHRES", CAP_ALWAYS, 0},              /* RFC 5182 */
    {"SORT", CAP_ALWAYS, 0},                   /* RFC 5256 */
    {"SORT=DISPLAY", CAP_ALWAYS, 0},           /* RFC 5957 */
    {"THREAD=REFERENCES", CAP_ALWAYS, 0},      /* RFC 5256 */
    {"THREAD=ORDEREDSUBJECT", CAP_ALWAYS, 0},  /* RFC 5256 */
    {"WITHIN", CAP_ALWAYS, 0},                 /* RFC 5032 OLDER/YOUNGER */
    /* RFC 6855: on once APPEND/SEARCH take UTF-8 */
    {"UTF8=ACCEPT", CAP_OFF, IMAP_EN_UTF8},
};

static bool
imap_cap_listed(const struct imap_session *s, const struct imap_cap *cap)
{
	bool pre = s->state == IMAP_ST_NOAUTH;

	switch (cap->when) {
	case CAP_OFF:
		return false;
	case CAP_ALWAYS:
		return true;
	case CAP_PREAUTH:
		return pre;
	case CAP_STARTTLS:
		return pre && !s->tls && s->srv->tls != NULL;
	case CAP_PLAIN_NO:
		return pre && !imap_session_plaintext_ok(s);
	case CAP_PLAIN_OK:
		return pre && imap_session_plaintext_ok(s);
	case CAP_QUOTA_SET:
		return s->srv->cfg->imap_quota_bytes > 0;
	}
	return false;
}

char *
imap_cmd_capabilities(const struct imap_session *s)
{
	struct buf b;
	size_t i;
	char *r;

	buf_init(&b, 0);
	for (i = 0; i < sizeof(imap_caps) / sizeof(imap_caps[0]); i++)
		if (imap_cap_listed(s, &imap_caps[i]))
			buf_printf(&b, "%s%s", buf_len(&b) > 0 ? " " : "",
				   imap_caps[i].name);
	r = xstrndup((const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	return r;
}

/* Commands without arguments: false (BAD sent) if some were given. */
static bool
imap_cmd_no_args(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) == 0)
		return true;
	imap_cmd_bad(s, NULL, error);
	return false;
}

void
imap_cmd_capability(struct imap_session *s, struct imap_cmd *cmd)
{
	char *caps;

	if (!imap_cmd_no_args(s, cmd))
		return;
	caps = imap_cmd_capabilities(s);
	imap_untagged(s, "CAPABILITY %s", caps);
	free(caps);
	imap_cmd_done(s, "OK", NULL, "Capability completed");
}

void
imap_cmd_noop(struct imap_session *s, struct imap_cmd *cmd)
{
	if (!imap_cmd_no_args(s, cmd))
		return;
	/* imap_cmd_done() sends the mailbox updates (RFC 9051 6.1.2). */
	imap_cmd_done(s, "OK", NULL, "NOOP completed");
}

void
imap_cmd_logout(struct imap_session *s, struct imap_cmd *cmd)
{
	if (!imap_cmd_no_args(s, cmd))
		return;
	/* RFC 9051 6.1.3: BYE, then the tagged OK, then close.  No
	   updates are owed any more. */
	if (s->view != NULL)
		imap_view_free(s);
	imap_untagged(s, "BYE Logging out");
	imap_cmd_done(s, "OK", NULL, "Logout completed");
	imap_session_close(s);
}

void
imap_cmd_id(struct imap_session *s, struct imap_cmd *cmd)
{
	const char **fields, **values, *error;
	size_t n, i;

	if (imap_args_id(cmd, &fields, &values, &n, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	for (i = 0; i < n; i++)
		if (strcasecmp(fields[i], "name") == 0 ||
		    strcasecmp(fields[i], "version") == 0)
			log_info("%016llx imap id %s=%.64s",
				 (unsigned long long)s->id, fields[i],
				 values[i] != NULL ? values[i] : "NIL");
	/* RFC 2971 3.2 */
	imap_untagged(s, "ID (\"name\" \"buzon\")");
	imap_cmd_done(s, "OK", NULL, "ID completed");
}

void
imap_cmd_enable(struct imap_session *s, struct imap_cmd *cmd)
{
	const char **names, *error;
	size_t n, i, k;
	unsigned now = 0;
	struct buf b;

	if (imap_args_enable(cmd, &names, &n, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	/* RFC 5161 3.1: unknown names are ignored; ENABLED lists what this
	   command turned on. */
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof(imap_caps) / sizeof(imap_caps[0]); k++)
			if (imap_caps[k].enable != 0 &&
			    imap_cap_listed(s, &imap_caps[k]) &&
			    strcasecmp(names[i], imap_caps[k].name) == 0 &&
			    (s->enabled & imap_caps[k].enable) == 0) {
				s->enabled |= imap_caps[k].enable;
				now |= imap_caps[k].enable;
			}
	/* RFC 7162 3.2.3: QRESYNC implies CONDSTORE */
	if (s->enabled & IMAP_EN_QRESYNC)
		s->enabled |= IMAP_EN_CONDSTORE;
	buf_init(&b, 0);
	for (k = 0; k < sizeof(imap_caps) / sizeof(imap_caps[0]); k++)
		if (now & imap_caps[k].enable)
			buf_printf(&b, " %s", imap_caps[k].name);
	imap_untagged(s, "ENABLED%.*s", (int)buf_len(&b),
		      (const char *)buf_rptr(&b));
	buf_deinit(&b);
	imap_cmd_done(s, "OK", NULL, "ENABLE completed");
}

void
imap_cmd_namespace(struct imap_session *s, struct imap_cmd *cmd)
{
	if (!imap_cmd_no_args(s, cmd))
		return;
	/* RFC 2342 5 / RFC 9051 6.3.10: one personal namespace, no others. */
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_cmd_done(s, "OK", NULL, "NAMESPACE completed");
}
