/*
 * test_clients_first.c - client_table_first, the text table's bounded
 * selection, against client_table_sorted: for tables of random rows with
 * many ties before the key (errors, warnings, connections, id or address),
 * every `max` from 0 past the row count gives the sorted order's first rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_harness.h"
#include "clients.h"

static void check_table(size_t n_rows)
{
    client_table t;
    client_table_init(&t, n_rows);
    t.rows = calloc(n_rows ? n_rows : 1, sizeof *t.rows);
    CHECK(t.rows != NULL);
    if (!t.rows)
        return;
    for (size_t i = 0; i < n_rows; i++) {
        client_rec *r = &t.rows[i];
        uint64_t x = th_rng();
        /* distinct keys, as the table keeps them: (key, by_address) once */
        snprintf(r->key, sizeof r->key, "c%zu", (size_t)(x % 7) * 1000 + i);
        r->by_address = (x >> 8) & 1;
        r->errors = (x >> 9) % 3;
        r->warnings = (x >> 12) % 3;
        r->connections = 1 + (x >> 15) % 3;
    }
    t.n = n_rows;
    const client_rec **sorted = NULL;
    size_t n = client_table_sorted(&t, &sorted);
    CHECK_EQ_INT(n, n_rows);
    const client_rec **first = malloc((n_rows + 2) * sizeof *first);
    CHECK(first != NULL);
    for (size_t max = 0; first && max <= n_rows + 1; max++) {
        size_t got = client_table_first(&t, first, max);
        CHECK_EQ_INT(got, max < n_rows ? max : n_rows);
        for (size_t i = 0; i < got && sorted; i++)
            CHECK(first[i] == sorted[i]);
    }
    free(first);
    free(sorted);
    free(t.rows);
}

int main(void)
{
    for (size_t n = 0; n <= 80; n += (n < 10 ? 1 : 7))
        check_table(n);
    check_table(1000);
    return th_report();
}
