/* SPDX-License-Identifier: MIT */
#pragma once
/* The rows hv stats and hv top print for a sample's entries. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_entry;
struct stats_options;

struct statsview_totals {
	uint64_t rd_bytes, wr_bytes, rx_bytes, tx_bytes;
	double rd_bps, wr_bps, rx_bps, tx_bps;
	bool counted; /* a NIC with counters */
};
/* An entry's disks and NICs summed. */
void statsview_totals(const struct stats_entry *e, struct statsview_totals *t);
/* The header and one row, with rates (CPU %, per second) or counters. */
int statsview_header(char *buf, size_t n, bool rates);
int statsview_row(char *buf, size_t n, const struct stats_entry *e, bool rates);
/* "1", "0.5": seconds between 0.1 and 3600. */
int statsview_parse_seconds(const char *s, double *out);
/* The options hv stats and hv top share: --all, --no-containers, --root. */
#define STATSVIEW_LONGOPTS                                                                                             \
	{ "all", no_argument, NULL, 'a' }, { "no-containers", no_argument, NULL, 'V' },                                \
	{                                                                                                              \
		"root", required_argument, NULL, 'r'                                                                   \
	}
/* Apply one of them to o; false when c is none of them. */
bool statsview_option(int c, const char *arg, struct stats_options *o);
/* The NAME... operands after the options. */
void statsview_names(int argc, char **argv, struct stats_options *o);
