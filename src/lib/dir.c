/* dir.c: directory helpers for durable file creation. */
/* SPDX-License-Identifier: MIT */
#include "dir.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
dir_fsync(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, err;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}
