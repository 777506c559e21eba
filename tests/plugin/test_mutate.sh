#!/bin/sh
# The plugin survives mutated captures: fuzz/plugin-mutate.sh with a small
# count (26 files: every capture twice, editcap -E 0.02 with fixed seeds).
# The documented longer run is fuzz/plugin-mutate.sh itself (300 files).
SEEDS=${SEEDS:-26} exec bash "$(dirname "$0")/../../fuzz/plugin-mutate.sh" "$@"
