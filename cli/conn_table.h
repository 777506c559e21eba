/*
 * conn_table.h - what the CLI keeps about each open connection between the
 * core's events: its findings grouped by cause, so that a finding repeated
 * on one connection is told in full once and counted (output_text.c), and
 * the summary can give each group's count and range; and, only when every
 * event carries them (JSON Lines without -q), its uid and Community ID
 * (flow_ids.h), worked out once.
 *
 * Entries are keyed by the core's connection number, made at a connection's
 * first event that needs one, and removed at its summary (the last event
 * about it): the table holds the connections open at the time, as the
 * core's flow table does, never the capture's history.
 *
 * A "cause" is (kind, severity, direction): client_silent_over_keepalive on
 * every ping of one connection is one group; pingreq_unanswered overtaken
 * (warn) and never answered (error) are two. pingresp_rtt, one per ping
 * pair, is not grouped: the summary's rtt already gives its count and range.
 *
 * Memory (a million connections open at once is a use this must serve):
 * 32 bytes an entry in one dense array, found through 4-byte index slots
 * kept at most three quarters full, so about 37 to 43 bytes a connection.
 * A connection's first finding lies in the entry as it came (most
 * connections have that one finding, keepalive_negotiated, for most of
 * their life); a second one, of the same cause or another, makes an array
 * of groups (2, 4, ... CONN_GROUPS_MAX of 40 bytes). The uid and Community ID are
 * functions of the connection's endpoints and start, so the summary works
 * them out when it is written (conn_ids_of) and nothing keeps them, except
 * for JSON events: 50 bytes more an entry in an array beside the entries.
 */
#ifndef MQTTKA_CLI_CONN_TABLE_H
#define MQTTKA_CLI_CONN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow_ids.h"
#include "mqttka.h"

/* Groups kept per connection: there are MQTTKA_F_COUNT kinds, two
 * directions and at most two severities a kind; more than this many causes
 * on one connection are counted in the last group's place no more (the
 * extra findings are then told in full, as before grouping). */
#define CONN_GROUPS_MAX 32

typedef struct finding_group {
    uint64_t first_frame, last_frame; /* the frames the findings are about */
    double min, max;                  /* of their values, when has_value */
    uint32_t count;
    uint8_t kind, severity, dir;
    bool has_value;
} finding_group;

typedef struct conn_entry {
    uint64_t id;              /* the core's connection number, never 0 */
    union {
        /* cap_groups 0 and n_groups 1: the one finding so far, a group of
         * count 1 (first and last frame `frame`, min and max `value`) */
        struct {
            uint64_t frame;
            double value;
        } one;
        finding_group *many;  /* cap_groups > 0: owned, n_groups of them */
    } groups;
    uint8_t kind, severity, dir; /* of the one finding */
    bool has_value;
    uint8_t n_groups, cap_groups;
} conn_entry;

/* A connection's ids as written, NUL-terminated. */
typedef struct conn_ids {
    char uid[FLOW_UID_LEN + 1];
    char community_id[COMMUNITY_ID_LEN + 1];
} conn_ids;

typedef struct conn_table {
    conn_entry *entries;      /* dense: count of them */
    conn_ids *ids;            /* beside entries when keep_ids; else NULL */
    uint32_t *slots;          /* 1 + an entry's index, 0 free; linear probing */
    size_t n_slots;           /* a power of two, or 0 */
    size_t count, cap_entries;
    uint16_t community_id_seed;
    bool keep_ids;            /* every event of a connection writes its ids */
} conn_table;

/* `keep_ids`: conn_table_ids will be asked for on many events of each
 * connection (JSON Lines), so each entry keeps its ids once worked out. */
void conn_table_init(conn_table *t, uint16_t community_id_seed, bool keep_ids);
/* Frees every entry and the table. */
void conn_table_free(conn_table *t);

/* The entry of connection `c`, made if there is none (then *created, when
 * not NULL, is set true). NULL when memory runs out: the caller goes on
 * without (no uid, no grouping). The pointer is valid until the next
 * conn_table_get or conn_table_remove. */
conn_entry *conn_table_get(conn_table *t, const mqttka_connection *c, bool *created);

/* The entry of connection `id`, or NULL; makes none. */
conn_entry *conn_table_find(conn_table *t, uint64_t id);

/* Forgets connection `id` (nothing when it has no entry). */
void conn_table_remove(conn_table *t, uint64_t id);

/* Writes the uid and Community ID of connection `c` at *out. */
void conn_ids_of(const conn_table *t, const mqttka_connection *c, conn_ids *out);

/* The ids of entry `e` (of `t`, for connection `c`), worked out at the
 * first call; only when t->keep_ids. Valid as long as `e`. */
const conn_ids *conn_table_ids(conn_table *t, const conn_entry *e, const mqttka_connection *c);

/* The groups of `e`, e->n_groups of them (NULL for no entry). The one
 * finding an entry holds is written as its group at *scratch, which the
 * result then points at. */
const finding_group *conn_entry_groups(const conn_entry *e, finding_group *scratch);

/* Counts finding `f` in its group. Returns true when the group already had
 * one: the finding repeats an earlier one's cause. */
bool conn_entry_note_finding(conn_entry *e, const mqttka_finding *f);

/* The group of (kind, severity, dir), or NULL; *scratch as above. */
const finding_group *conn_entry_group(const conn_entry *e, mqttka_finding_kind kind,
                                      mqttka_severity severity, mqttka_direction dir,
                                      finding_group *scratch);

/* Errors and warnings among the grouped findings (pingresp_rtt is info). */
void conn_entry_severity_counts(const conn_entry *e, uint64_t *errors, uint64_t *warnings);

#endif
