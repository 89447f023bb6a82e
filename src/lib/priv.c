/* priv.c: dropping root privileges. */
/* SPDX-License-Identifier: MIT */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
priv_resolve_user(const char *name, uid_t *uid_r, gid_t *gid_r,
		  const char **error_r)
{
	struct passwd *pw;

	if (name != NULL && *name != '\0') {
		if ((pw = getpwnam(name)) == NULL) {
			*error_r = "no such user ([server] user)";
			return -1;
		}
	} else if ((pw = getpwnam("buzon")) == NULL &&
		   (pw = getpwnam("nobody")) == NULL) {
		*error_r = "neither user buzon nor nobody exists";
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

int
priv_drop(uid_t uid, gid_t gid)
{
	if (geteuid() != 0 || uid == 0)
		return 0;
	if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	/* Make sure the drop cannot be undone. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static uid_t chown_uid;
static gid_t chown_gid;

static int
priv_chown_one(const char *path, const struct stat *st, int type,
	       struct FTW *ftw)
{
	(void)ftw;
	(void)type;
	if (st->st_uid == chown_uid && st->st_gid == chown_gid)
		return 0;
	return lchown(path, chown_uid, chown_gid) < 0 ? -1 : 0;
}

int
priv_chown_tree(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	return nftw(path, priv_chown_one, 32, FTW_PHYS);
}

int
priv_become_owner_of(const char *dir)
{
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (st.st_uid == 0)
		return 0;
	return priv_drop(st.st_uid, st.st_gid);
}
