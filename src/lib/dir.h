/* dir.h: directory helpers for durable file creation. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DIR_H
#define BUZON_DIR_H

/* fsync() the directory at path, so that entries created, renamed or
   linked in it survive a crash.  Returns 0, or -1 with errno set (the
   directory could not be opened or synced). */
int dir_fsync(const char *path);

#endif
