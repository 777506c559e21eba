/*
 * privileges.c - setgroups/initgroups, setgid, setuid, in that order: once
 * the user id is not root any more, the groups can no longer be changed.
 */
#include "privileges.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* getpwnam with its error told apart from "no such user". */
static struct passwd *find_user(const char *user, char *err, size_t err_size)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        if (errno != 0 && errno != ENOENT && errno != ESRCH)
            snprintf(err, err_size, "-Z %s: cannot look the user up: %s", user,
                     strerror(errno));
        else
            snprintf(err, err_size, "-Z %s: no such user", user);
    }
    return pw;
}

bool privileges_user_exists(const char *user, char *err, size_t err_size)
{
    return find_user(user, err, err_size) != NULL;
}

bool privileges_drop(const char *user, char *err, size_t err_size)
{
    if (getuid() != 0 && geteuid() != 0)
        return true; /* not root: nothing to give up */
    struct passwd *pw = find_user(user, err, err_size);
    if (!pw)
        return false;
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(user, gid) != 0) {
        snprintf(err, err_size, "-Z %s: cannot set its groups: %s", user, strerror(errno));
        return false;
    }
    if (setgid(gid) != 0) {
        snprintf(err, err_size, "-Z %s: cannot set group %lu: %s", user, (unsigned long)gid,
                 strerror(errno));
        return false;
    }
    if (setuid(uid) != 0) {
        snprintf(err, err_size, "-Z %s: cannot set user %lu: %s", user, (unsigned long)uid,
                 strerror(errno));
        return false;
    }
    /* A setuid that left a way back would be worse than none. */
    if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
        snprintf(err, err_size, "-Z %s: root could be regained after dropping it", user);
        return false;
    }
    return true;
}
