/*
 * test_conn_table.c - the CLI's per-connection table (cli/conn_table.c)
 * against a plain array that models it: connections opened and closed in
 * a random order (so entries move as others leave and the index grows
 * under them), findings grouped by cause with their counts, frames and
 * value ranges, the group in the entry and then the array of groups, the
 * cap on groups, and the ids kept for JSON events equal to the ids worked
 * out again.
 */
#include <stdio.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "conn_table.h"

#define MODEL_MAX 3000

/* What the table should know of one connection. */
typedef struct model {
    uint64_t id;
    bool open;
    uint32_t findings[4];     /* by cause (kind index 0..3), count */
    uint64_t first[4], last[4];
    double min[4], max[4];
} model;

static model models[MODEL_MAX];

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static mqttka_connection conn_of(uint64_t id)
{
    mqttka_connection c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.client.family = 4;
    c.client.addr[0] = 10;
    c.client.addr[3] = (uint8_t)id;
    c.client.port = (uint16_t)(1024 + id);
    c.server.family = 4;
    c.server.addr[0] = 127;
    c.server.addr[3] = 1;
    c.server.port = 1883;
    c.start = (mqttka_time)id * 1000;
    return c;
}

static const mqttka_finding_kind causes[4] = {
    MQTTKA_F_KEEPALIVE_NEGOTIATED, MQTTKA_F_CLIENT_SILENT_OVER_KEEPALIVE,
    MQTTKA_F_PINGREQ_UNANSWERED, MQTTKA_F_SERVER_KEEPALIVE_NOT_ENFORCED};

static void check_entry(conn_table *t, const model *m)
{
    conn_entry *e = conn_table_find(t, m->id);
    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_EQ_INT(e->id, m->id);
    unsigned n = 0;
    for (int k = 0; k < 4; k++) {
        finding_group one;
        const finding_group *g = conn_entry_group(e, causes[k], MQTTKA_WARN, MQTTKA_C2S, &one);
        if (!m->findings[k]) {
            CHECK(g == NULL);
            continue;
        }
        n++;
        CHECK(g != NULL);
        if (!g)
            continue;
        CHECK_EQ_INT(g->count, m->findings[k]);
        CHECK_EQ_INT(g->first_frame, m->first[k]);
        CHECK_EQ_INT(g->last_frame, m->last[k]);
        CHECK(g->has_value && g->min == m->min[k] && g->max == m->max[k]);
    }
    CHECK_EQ_INT(e->n_groups, n);
    uint64_t errors, warnings;
    conn_entry_severity_counts(e, &errors, &warnings);
    CHECK_EQ_INT(errors, 0);
    CHECK_EQ_INT(warnings, m->findings[0] + m->findings[1] + m->findings[2] + m->findings[3]);
}

/* Opens, finds and closes connections in a random order against the model. */
static void test_churn(bool keep_ids)
{
    conn_table t;
    conn_table_init(&t, 0, keep_ids);
    memset(models, 0, sizeof models);
    uint64_t next_id = 1;
    size_t open = 0;
    for (int step = 0; step < 200000; step++) {
        uint32_t r = next_rand();
        size_t i = r % MODEL_MAX;
        model *m = &models[i];
        if (!m->open) {
            if (r % 3 == 0)
                continue;
            memset(m, 0, sizeof *m);
            m->id = next_id++;
            m->open = true;
            mqttka_connection c = conn_of(m->id);
            bool created = false;
            CHECK(conn_table_get(&t, &c, &created) != NULL);
            CHECK(created);
            open++;
        } else if (r % 16 == 0) {
            check_entry(&t, m);
            if (keep_ids) {
                mqttka_connection c = conn_of(m->id);
                conn_ids want;
                conn_ids_of(&t, &c, &want);
                const conn_ids *got = conn_table_ids(&t, conn_table_find(&t, m->id), &c);
                CHECK(got != NULL);
                if (got) {
                    CHECK_EQ_STR(got->uid, want.uid);
                    CHECK_EQ_STR(got->community_id, want.community_id);
                }
            }
            conn_table_remove(&t, m->id);
            CHECK(conn_table_find(&t, m->id) == NULL);
            m->open = false;
            open--;
        } else {
            /* A finding of one of four causes, the later ones rarer. */
            int k = (r >> 8) % 8 < 5 ? 0 : (int)((r >> 12) % 4);
            mqttka_connection c = conn_of(m->id);
            bool created = false;
            conn_entry *e = conn_table_get(&t, &c, &created);
            CHECK(e != NULL && !created);
            if (!e)
                continue;
            mqttka_finding f;
            memset(&f, 0, sizeof f);
            f.kind = causes[k];
            f.severity = MQTTKA_WARN;
            f.dir = MQTTKA_C2S;
            f.tag = 1 + (r >> 4) % 100000;
            f.has_value = true;
            f.value = (double)((r >> 3) % 997) / 7.0;
            bool repeat = conn_entry_note_finding(e, &f);
            CHECK_EQ_INT(repeat, m->findings[k] > 0);
            if (!m->findings[k] || f.tag < m->first[k])
                m->first[k] = f.tag;
            if (!m->findings[k] || f.tag > m->last[k])
                m->last[k] = f.tag;
            if (!m->findings[k] || f.value < m->min[k])
                m->min[k] = f.value;
            if (!m->findings[k] || f.value > m->max[k])
                m->max[k] = f.value;
            m->findings[k]++;
        }
        CHECK_EQ_INT(t.count, open);
    }
    for (size_t i = 0; i < MODEL_MAX; i++)
        if (models[i].open)
            check_entry(&t, &models[i]);
    /* The index is at most three quarters full. */
    CHECK(t.count * 4 <= t.n_slots * 3);
    conn_table_free(&t);
    CHECK_EQ_INT(t.count, 0);
    CHECK(t.entries == NULL && t.slots == NULL && t.ids == NULL);
}

/* More causes than CONN_GROUPS_MAX on one connection: the extra ones are
 * not grouped (never a repeat), the first CONN_GROUPS_MAX still counted. */
static void test_groups_cap(void)
{
    conn_table t;
    conn_table_init(&t, 0, false);
    mqttka_connection c = conn_of(7);
    conn_entry *e = conn_table_get(&t, &c, NULL);
    CHECK(e != NULL);
    if (!e)
        return;
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < CONN_GROUPS_MAX + 8; i++) {
            mqttka_finding f;
            memset(&f, 0, sizeof f);
            f.kind = (mqttka_finding_kind)(i % MQTTKA_F_COUNT);
            f.severity = i / MQTTKA_F_COUNT ? MQTTKA_ERROR : MQTTKA_WARN;
            f.dir = MQTTKA_S2C;
            f.tag = (uint64_t)(100 * round + i + 1);
            bool repeat = conn_entry_note_finding(e, &f);
            CHECK_EQ_INT(repeat, round == 1 && i < CONN_GROUPS_MAX);
        }
    }
    CHECK_EQ_INT(e->n_groups, CONN_GROUPS_MAX);
    finding_group one;
    const finding_group *g = conn_entry_groups(e, &one);
    CHECK_EQ_INT(g[0].count, 2);
    CHECK_EQ_INT(g[0].first_frame, 1);
    CHECK_EQ_INT(g[0].last_frame, 101);
    CHECK_EQ_INT(g[CONN_GROUPS_MAX - 1].count, 2);
    conn_table_remove(&t, 7);
    CHECK_EQ_INT(t.count, 0);
    conn_table_free(&t);
}

/* Without keep_ids nothing keeps them: conn_table_ids says so. */
static void test_ids_not_kept(void)
{
    conn_table t;
    conn_table_init(&t, 0, false);
    mqttka_connection c = conn_of(3);
    conn_entry *e = conn_table_get(&t, &c, NULL);
    CHECK(e != NULL);
    CHECK(conn_table_ids(&t, e, &c) == NULL);
    CHECK(t.ids == NULL);
    conn_table_free(&t);
}

int main(void)
{
    test_churn(false);
    test_churn(true);
    test_groups_cap();
    test_ids_not_kept();
    return th_report();
}
