/* smtp_notify.h: send the success DSNs a transaction asked for. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_NOTIFY_H
#define BUZON_SMTP_NOTIFY_H

#include <stdbool.h>

struct smtp_session;
struct smtp_tx;

/* Does any local recipient of tx want a success DSN (RFC 3461 4.1)?
   Never for the null reverse-path. */
bool smtp_notify_wanted(const struct smtp_tx *tx);

/* The message of s->tx (queue id queue_id) is durable in the mailboxes
   of its local recipients: for those that asked NOTIFY=SUCCESS (RFC 3461
   4.1, 6.2), deliver one "delivered" DSN from the null reverse-path to
   the sender (a local account's INBOX, or the outbound queue for a
   remote sender).  Call before the transaction is reset.  Failures are
   logged: the DSN is advisory, the message itself is already safe. */
void smtp_notify_delivered(struct smtp_session *s, const char *queue_id);

#endif
