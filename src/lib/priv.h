/* priv.h: dropping root privileges to the user that owns the data. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_PRIV_H
#define BUZON_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

/* Resolve the user to run as when started as root: name if non-empty,
   else "buzon" if that user exists, else "nobody".  Returns 0 with
   *uid_r and *gid_r, or -1 with *error_r (static). */
int priv_resolve_user(const char *name, uid_t *uid_r, gid_t *gid_r,
		      const char **error_r);
/* As root: setgroups(1, gid), setgid, setuid; verify root cannot be
   regained.  Returns 0 or -1 (errno set). No-op when not root. */
int priv_drop(uid_t uid, gid_t gid);
/* chown -R path to uid:gid (no symlinks followed).  Returns 0 or -1. */
int priv_chown_tree(const char *path, uid_t uid, gid_t gid);
/* For admin commands run as root: become the owner of dir if it exists
   and is not owned by root, so files written by the CLI stay readable by
   the server.  Returns 0 or -1 (errno set). */
int priv_become_owner_of(const char *dir);

#endif
