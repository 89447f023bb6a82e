/* imap_cmd_table.c: the session states each IMAP command is valid in
   (pure; the session's dispatch and the command fuzz target share it). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_cmd_table.h"

#include "imap/imap_session.h"

#define IMAP_ST_ANY (IMAP_ST_NOAUTH | IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define IMAP_ST_LOGGED_IN (IMAP_ST_AUTH | IMAP_ST_SELECTED)

/* RFC 9051 6.1-6.4 (the states of each command), RFC 2971 (ID), RFC 5161
   (ENABLE: authenticated state only, 3.1), RFC 9208 (QUOTA), RFC 5256
   (SORT, THREAD), RFC 6851 (MOVE), RFC 3691 (UNSELECT), RFC 2177
   (IDLE). */
static const unsigned char imap_cmd_state_bits[IMAP_CMD__COUNT] = {
    [IMAP_CMD_CAPABILITY] = IMAP_ST_ANY,
    [IMAP_CMD_NOOP] = IMAP_ST_ANY,
    [IMAP_CMD_LOGOUT] = IMAP_ST_ANY,
    [IMAP_CMD_ID] = IMAP_ST_ANY,
    [IMAP_CMD_STARTTLS] = IMAP_ST_NOAUTH,
    [IMAP_CMD_AUTHENTICATE] = IMAP_ST_NOAUTH,
    [IMAP_CMD_LOGIN] = IMAP_ST_NOAUTH,
    [IMAP_CMD_ENABLE] = IMAP_ST_AUTH,
    [IMAP_CMD_SELECT] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_EXAMINE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_CREATE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_DELETE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_RENAME] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_SUBSCRIBE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_UNSUBSCRIBE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_LIST] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_LSUB] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_NAMESPACE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_STATUS] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_APPEND] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_IDLE] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_GETQUOTA] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_GETQUOTAROOT] = IMAP_ST_LOGGED_IN,
    [IMAP_CMD_CHECK] = IMAP_ST_SELECTED,
    [IMAP_CMD_CLOSE] = IMAP_ST_SELECTED,
    [IMAP_CMD_UNSELECT] = IMAP_ST_SELECTED,
    [IMAP_CMD_EXPUNGE] = IMAP_ST_SELECTED,
    [IMAP_CMD_SEARCH] = IMAP_ST_SELECTED,
    [IMAP_CMD_FETCH] = IMAP_ST_SELECTED,
    [IMAP_CMD_STORE] = IMAP_ST_SELECTED,
    [IMAP_CMD_COPY] = IMAP_ST_SELECTED,
    [IMAP_CMD_MOVE] = IMAP_ST_SELECTED,
    [IMAP_CMD_SORT] = IMAP_ST_SELECTED,
    [IMAP_CMD_THREAD] = IMAP_ST_SELECTED,
};

unsigned
imap_cmd_states(enum imap_cmd_name name)
{
	if ((unsigned)name >= IMAP_CMD__COUNT)
		return 0;
	return imap_cmd_state_bits[name];
}

const char *
imap_cmd_refused(enum imap_cmd_name name, unsigned state)
{
	unsigned states = imap_cmd_states(name);

	if (states == 0)
		return "Unknown command"; /* the parser returns known names */
	if ((states & state) != 0)
		return NULL;
	if (state == IMAP_ST_NOAUTH)
		return "Not logged in: log in first";
	if (states == IMAP_ST_NOAUTH)
		return "Already logged in";
	if (states == IMAP_ST_SELECTED)
		return "No mailbox selected";
	return "Not valid with a mailbox selected"; /* ENABLE */
}
