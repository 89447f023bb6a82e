/* imap_cmd_table.h: the session states each IMAP command is valid in. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_CMD_TABLE_H
#define BUZON_IMAP_CMD_TABLE_H

#include "imap/imap_parse.h"

/* The states (enum imap_state bits of imap_session.h: IMAP_ST_NOAUTH,
   IMAP_ST_AUTH, IMAP_ST_SELECTED) in which name may run; 0 for
   IMAP_CMD_UNKNOWN and out-of-range values. */
unsigned imap_cmd_states(enum imap_cmd_name name);

/* Whether name may run in state (one IMAP_ST_* value): NULL if it may,
   else the static text of the BAD [CLIENTBUG] reply saying why not. */
const char *imap_cmd_refused(enum imap_cmd_name name, unsigned state);

#endif
