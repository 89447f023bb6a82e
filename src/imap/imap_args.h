/* imap_args.h: typed arguments of the IMAP commands other than FETCH and SEARCH. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_ARGS_H
#define BUZON_IMAP_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parse.h"
#include "imap/imap_seqset.h"

/* Every function here reads a command from imap_parse_command(), keeps
   its results in the command's arena (valid until imap_cmd_free()), and
   returns 0, or -1 with *error_r set to a static text for a BAD reply.
   Mailbox names come back as UTF-8: modified UTF-7 is decoded (RFC 3501
   5.1.3) unless utf8 is set (RFC 6855 3: UTF8=ACCEPT enabled, names are
   UTF-8 as sent), and "INBOX" in any case becomes "INBOX" (RFC 9051
   5.1). */

/* One mailbox argument. */
int imap_args_mailbox(const struct imap_arg *arg, bool utf8, struct arena *a,
		      const char **name_r, const char **error_r);

/* A flag list "(\Seen $Junk)" or, for STORE, flags separated by spaces
   from arg to the end.  System flags are returned in their canonical
   case ("\Seen"); \Recent is refused (RFC 9051 2.3.2: it cannot be
   set), as are other "\" names unless they are known system flags. */
struct imap_flags {
	const char **flag;
	size_t n;
};
/* arg: a LIST node (list_only) or the first of space-separated flags
   (STORE: a list, or flags up to the end).  Duplicates are kept. */
int imap_args_flags(const struct imap_arg *arg, bool list_only,
		    struct arena *a, struct imap_flags *f,
		    const char **error_r);

/* LOGIN userid password (astrings). */
int imap_args_login(const struct imap_cmd *cmd, const char **user_r,
		    const char **pass_r, const char **error_r);

/* AUTHENTICATE mechanism [initial-response] (RFC 4959): *ir_r is NULL
   when none was sent, "" for "=" (an empty response), else the base64
   text (validated as base64 characters, not decoded). */
int imap_args_authenticate(const struct imap_cmd *cmd, const char **mech_r,
			   const char **ir_r, const char **error_r);

/* SELECT / EXAMINE mailbox [(params)] (RFC 7162 3.1.8, 3.2.5). */
struct imap_select {
	const char *mailbox;
	bool condstore;
	bool qresync;
	/* QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]]) */
	uint32_t uidvalidity;
	uint64_t modseq;
	bool has_known_uids, has_seq_match;
	struct imap_seqset known_uids, match_seqs, match_uids;
};
int imap_args_select(const struct imap_cmd *cmd, bool utf8,
		     struct imap_select *s, const char **error_r);

/* CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT: one mailbox.
   (RFC 4466 CREATE parameters are refused.) */
int imap_args_one_mailbox(const struct imap_cmd *cmd, bool utf8,
			  const char **name_r, const char **error_r);
/* RENAME old new. */
int imap_args_rename(const struct imap_cmd *cmd, bool utf8,
		     const char **from_r, const char **to_r,
		     const char **error_r);
/* COPY / MOVE sequence-set mailbox. */
int imap_args_copy(const struct imap_cmd *cmd, bool utf8,
		   struct imap_seqset *set_r, const char **mailbox_r,
		   const char **error_r);
/* UID EXPUNGE sequence-set (RFC 4315 2.1); plain EXPUNGE takes none
   (set_r->n = 0 then). */
int imap_args_expunge(const struct imap_cmd *cmd, struct imap_seqset *set_r,
		      const char **error_r);

/* STORE sequence-set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] flags. */
struct imap_store {
	struct imap_seqset set;
	int mode; /* 0 replace, 1 add (+FLAGS), -1 remove (-FLAGS) */
	bool silent;
	bool unchangedsince_given; /* RFC 7162 3.1.3 */
	uint64_t unchangedsince;
	struct imap_flags flags;
};
int imap_args_store(const struct imap_cmd *cmd, struct imap_store *s,
		    const char **error_r);

/* STATUS items (RFC 9051 6.3.11, RFC 7162 3.1.6, RFC 8438 SIZE). */
#define IMAP_STATUS_MESSAGES 0x01u
#define IMAP_STATUS_RECENT 0x02u
#define IMAP_STATUS_UIDNEXT 0x04u
#define IMAP_STATUS_UIDVALIDITY 0x08u
#define IMAP_STATUS_UNSEEN 0x10u
#define IMAP_STATUS_DELETED 0x20u
#define IMAP_STATUS_SIZE 0x40u
#define IMAP_STATUS_HIGHESTMODSEQ 0x80u
/* A list of status items (a LIST node); returns the IMAP_STATUS_* bits
   in *items_r. */
int imap_args_status_items(const struct imap_arg *list, unsigned *items_r,
			   const char **error_r);
/* STATUS mailbox (items). */
int imap_args_status(const struct imap_cmd *cmd, bool utf8,
		     const char **mailbox_r, unsigned *items_r,
		     const char **error_r);

/* LIST / LSUB (RFC 9051 6.3.9, RFC 5258, RFC 5819, RFC 6154). */
#define IMAP_LIST_SEL_SUBSCRIBED 0x01u
#define IMAP_LIST_SEL_REMOTE 0x02u
#define IMAP_LIST_SEL_RECURSIVEMATCH 0x04u
#define IMAP_LIST_SEL_SPECIAL_USE 0x08u
#define IMAP_LIST_RET_SUBSCRIBED 0x01u
#define IMAP_LIST_RET_CHILDREN 0x02u
#define IMAP_LIST_RET_SPECIAL_USE 0x04u
#define IMAP_LIST_RET_STATUS 0x08u
struct imap_list {
	bool extended; /* selection or return options, or a pattern list */
	unsigned select, ret;
	unsigned status_items; /* RETURN (STATUS (...)) */
	const char *reference; /* UTF-8, "" allowed */
	const char **patterns; /* UTF-8 with "%" and "*" kept */
	size_t npatterns;
};
/* LIST [(select-opts)] reference patterns [RETURN (return-opts)]; for
   LSUB reference pattern only.  RECURSIVEMATCH needs another selection
   option (RFC 5258 3.1). */
int imap_args_list(const struct imap_cmd *cmd, bool utf8, struct imap_list *l,
		   const char **error_r);

/* APPEND mailbox 1*([flags] [date-time] literal) (RFC 3502 MULTIAPPEND,
   RFC 3516 literal8). */
struct imap_append_msg {
	struct imap_flags flags;
	bool has_date;
	int64_t date; /* seconds since the epoch, UTC */
	int tz_minutes;  /* the zone as sent, minutes east of UTC */
	const char *data; /* the literal (binary may hold NULs) */
	size_t len;
	bool binary;
	struct imap_append_msg *next;
};
struct imap_append {
	const char *mailbox;
	struct imap_append_msg *msgs;
	size_t nmsgs;
};
int imap_args_append(const struct imap_cmd *cmd, bool utf8,
		     struct imap_append *ap, const char **error_r);

/* date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 9; day may be
   " d"), validated.  Returns 0 with UTC seconds and zone, or -1. */
int imap_args_date_time(const char *s, int64_t *t_r, int *tz_minutes_r);

/* ENABLE 1*capability: atoms, returned as sent. */
int imap_args_enable(const struct imap_cmd *cmd, const char ***caps_r,
		     size_t *n_r, const char **error_r);

/* ID ("field" "value" ...) or NIL (RFC 2971 3.3 limits); values may be
   NIL (NULL in values[]). */
int imap_args_id(const struct imap_cmd *cmd, const char ***fields_r,
		 const char ***values_r, size_t *n_r, const char **error_r);

/* Commands without arguments (CAPABILITY NOOP LOGOUT STARTTLS CHECK
   CLOSE UNSELECT IDLE NAMESPACE, and EXPUNGE without UID). */
int imap_args_none(const struct imap_cmd *cmd, const char **error_r);

#endif
