/*
 * finding_kinds.h - what the core knows of each finding kind besides its
 * name: the severity it is reported with, and how it is kept.
 *
 * The table (finding_kinds.c) is the one place a severity is decided: an
 * emit call names the kind and takes its severity from here. Two kinds have
 * a documented lesser severity for a weaker form of the same finding
 * (docs/FINDINGS.md), asked for by name with emit_finding_lesser.
 */
#ifndef MQTTKA_FINDING_KINDS_H
#define MQTTKA_FINDING_KINDS_H

#include <stdbool.h>

#include "mqttka.h"

typedef struct finding_kind_info {
    const char *name;          /* public: JSON `kind`, Wireshark field value */
    mqttka_severity severity;  /* the severity it is reported with */
    bool has_lesser;           /* it is also reported with `lesser` ... */
    mqttka_severity lesser;    /* ... in the weaker form the table names */
    /* Raised on every ping pair: not kept for the summary and not capped
     * per connection (a connection of a week has a hundred thousand). */
    bool per_pair;
} finding_kind_info;

/* The row of `kind` (< MQTTKA_F_COUNT). */
const finding_kind_info *finding_kind(mqttka_finding_kind kind);

#endif
