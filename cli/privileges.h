/*
 * privileges.h - -Z USER: give up root once the capture is open, as tcpdump
 * does, so that the decoders never run with more rights than they need.
 */
#ifndef MQTTKA_CLI_PRIVILEGES_H
#define MQTTKA_CLI_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>

/* Checks that `user` exists, before anything is opened, so that a typo
 * fails at once. Returns false with one line in `err`. */
bool privileges_user_exists(const char *user, char *err, size_t err_size);

/*
 * Becomes `user`: its supplementary groups (initgroups), its group, then its
 * user id, and checks that root cannot be had back. When mqttka is not
 * running as root (capabilities given with setcap) there is nothing to give
 * up and it returns true. Returns false with one line in `err`: the caller
 * must stop, since going on would run with rights the user meant to drop.
 */
bool privileges_drop(const char *user, char *err, size_t err_size);

#endif
