/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The engine's QMP interface for the manager: a connection to one QEMU,
 * one function per QMP command hv uses, and QMP events, all as C values.
 * Each reply's shape is checked once here against QEMU's schema (qapi/
 * run-state.json, migration.json, block-core.json of QEMU 7.2): an object
 * where one is due, every field hv reads present and of the right type,
 * an enum value hv knows or its "other" member.  Nothing above src/engine
 * sees QMP's JSON.  Every message sent and received goes to the debug
 * trace ("qmp" topic; hv --debug, HV_DEBUG).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/qmp-conn.h"

/* query-status (RunState).  QMP_RUN_OTHER: a state hv does not name. */
enum qmp_run_state {
	QMP_RUN_OTHER,
	QMP_RUN_RUNNING,
	QMP_RUN_PAUSED,
	QMP_RUN_PRELAUNCH,
	QMP_RUN_INMIGRATE,
	QMP_RUN_POSTMIGRATE,
	QMP_RUN_FINISH_MIGRATE,
	QMP_RUN_SAVE_VM,
	QMP_RUN_RESTORE_VM,
	QMP_RUN_SHUTDOWN,
	QMP_RUN_GUEST_PANICKED,
	QMP_RUN_INTERNAL_ERROR,
	QMP_RUN_IO_ERROR,
	QMP_RUN_SUSPENDED,
};
struct qmp_status {
	enum qmp_run_state state;
	bool running; /* QEMU's own word: the vCPUs run */
};
int qmp_query_status(struct qmp *q, struct qmp_status *out);

int qmp_cont(struct qmp *q);
int qmp_stop(struct qmp *q);
int qmp_quit(struct qmp *q);
/* The ACPI power button. */
int qmp_system_powerdown(struct qmp *q);
/* Press keys together and release them (QKeyCode names: "ctrl", "alt", "delete"). */
int qmp_send_keys(struct qmp *q, const char *const *keys, size_t n);

/* Internal snapshots of one drive (blockdev-snapshot-internal-sync and
 * blockdev-snapshot-delete-internal-sync); device is the drive's id. */
int qmp_snapshot_internal(struct qmp *q, const char *device, const char *name);
int qmp_snapshot_delete_internal(struct qmp *q, const char *device, const char *name);

/* Migration (query-migrate's MigrationStatus). */
enum qmp_migration_state {
	QMP_MIG_NONE, /* no migration yet (QEMU omits "status") */
	QMP_MIG_SETUP,
	QMP_MIG_ACTIVE,
	QMP_MIG_COMPLETED,
	QMP_MIG_FAILED,
	QMP_MIG_CANCELLING,
	QMP_MIG_CANCELLED,
	QMP_MIG_PRE_SWITCHOVER, /* paused before the switchover (pause-before-switchover): migrate-continue */
	QMP_MIG_OTHER,		/* postcopy, pre-switchover, device, ...: under way */
};
struct qmp_migration {
	enum qmp_migration_state state;
	uint64_t transferred, total; /* RAM bytes, 0 when QEMU does not say */
	uint64_t remaining;	     /* RAM bytes still to send */
	uint64_t dirty_rate;	     /* bytes per second the guest dirties (dirty-pages-rate x page-size) */
	uint64_t passes;	     /* dirty-sync-count: rounds over RAM so far */
	double mbps;		     /* the link's rate QEMU measured, in Mbit/s */
	int64_t expected_downtime_ms, downtime_ms, total_time_ms, setup_time_ms; /* -1: not said */
	char error[256]; /* error-desc of a failed one, "" if none */
};
int qmp_query_migrate(struct qmp *q, struct qmp_migration *out);
/* Is a migration in this state still under way? */
bool qmp_migration_busy(enum qmp_migration_state s);
int qmp_migrate_cancel(struct qmp *q);
/* migrate-set-parameters max-bandwidth, in bytes per second.  QEMU's
 * default is 128 MiB/s, which throttles a save to a local file; local
 * saves pass QMP_BANDWIDTH_UNLIMITED, live migration its own choice. */
#define QMP_BANDWIDTH_UNLIMITED ((uint64_t)INT64_MAX)
int qmp_migrate_set_max_bandwidth(struct qmp *q, uint64_t bytes_per_s);
/* Start a migration into fd (getfd + migrate "fd:NAME") at most
 * max_bandwidth bytes per second; it runs on in QEMU (qmp_query_migrate). */
/* Hand a connected VNC client to QEMU's VNC server (add_client). */
int qmp_vnc_add_client(struct qmp *q, int fd);
int qmp_migrate_to_fd(struct qmp *q, int fd, uint64_t max_bandwidth);

/* Live migration (qapi/migration.json): capabilities and parameters are
 * set on both ends before the stream starts. */
struct qmp_migrate_caps {
	bool events;		      /* MIGRATION and MIGRATION_PASS events */
	bool auto_converge;	      /* throttle the vCPUs of a guest that dirties faster than the link */
	bool postcopy;		      /* postcopy-ram (both ends): switch over before RAM is all sent */
	bool pause_before_switchover; /* the source stops in "pre-switchover" until migrate-continue */
};
int qmp_migrate_set_caps(struct qmp *q, const struct qmp_migrate_caps *c);
struct qmp_migrate_params {
	uint64_t max_bandwidth;	    /* bytes per second; 0 leaves QEMU's */
	uint64_t downtime_limit_ms; /* the pause QEMU aims for at switchover; 0 leaves QEMU's (300 ms) */
};
int qmp_migrate_set_params(struct qmp *q, const struct qmp_migrate_params *p);
/* The source: migrate over a connected stream socket (getfd + migrate
 * "fd:NAME"); it runs on in QEMU, followed by events or query-migrate. */
int qmp_migrate_fd(struct qmp *q, int fd);
/* The destination (started with -incoming defer): take the stream from a
 * connected socket (getfd + migrate-incoming "fd:NAME"). */
int qmp_migrate_incoming_fd(struct qmp *q, int fd);
/* Go on from "pre-switchover" (migrate-continue). */
int qmp_migrate_continue(struct qmp *q);
/* Switch a migration with postcopy-ram over to postcopy now. */
int qmp_migrate_start_postcopy(struct qmp *q);

/* Save the state of a paused VM into fd and wait for the migration to
 * complete (-ENOSPC when the disk filled up); fd is fsync'ed. */
int qmp_save_state(struct qmp *q, int fd, uint64_t max_bandwidth, int timeout_ms);
/* After a state save that was interrupted (its hv killed): cancel a
 * migration still under way and take the disks back from a completed
 * one (QEMU left "postmigrate" with inactive disks; only cont
 * re-activates them, so the VM runs for an instant and is stopped). */
int qmp_settle(struct qmp *q);
/* Wait until an incoming state (-incoming) is loaded, then cont unless
 * paused. */
int qmp_wait_incoming(struct qmp *q, bool paused, int timeout_ms);

/* Port forwards of a user-mode (slirp) netdev. */
struct qmp_hostfwd {
	bool udp;
	uint32_t host_addr; /* network byte order; 0: every address */
	uint16_t host_port;
	uint16_t guest_port; /* add only; the guest address is slirp's default */
};
int qmp_hostfwd_add(struct qmp *q, const char *netdev, const struct qmp_hostfwd *f);
int qmp_hostfwd_remove(struct qmp *q, const char *netdev, const struct qmp_hostfwd *f);

/* Events (qapi/run-state.json). */
enum qmp_event_kind {
	QMP_EVENT_OTHER,
	QMP_EVENT_SHUTDOWN,
	QMP_EVENT_POWERDOWN,
	QMP_EVENT_RESET,
	QMP_EVENT_STOP,
	QMP_EVENT_RESUME,
	QMP_EVENT_GUEST_PANICKED,
	QMP_EVENT_MIGRATION,	       /* data.status: the migration's new state */
	QMP_EVENT_MIGRATION_PASS,      /* data.pass: a new round over RAM began */
	QMP_EVENT_BLOCK_JOB_READY,     /* data.device: the job (qapi/block-core.json) */
	QMP_EVENT_BLOCK_JOB_COMPLETED, /* data.device, data.error if it failed */
	QMP_EVENT_BLOCK_JOB_CANCELLED, /* data.device */
	QMP_EVENT_BLOCK_JOB_ERROR,     /* data.device */
	QMP_EVENT_JOB_STATUS_CHANGE,   /* data.id: a job was created, ran, ended... (qapi/job.json) */
};
struct qmp_event {
	enum qmp_event_kind kind;
	char name[64];			    /* as QEMU named it */
	bool guest;			    /* SHUTDOWN, RESET: the guest asked for it */
	char reason[32];		    /* SHUTDOWN, RESET: ShutdownCause ("guest-shutdown", "host-signal", ...) */
	char action[16];		    /* GUEST_PANICKED: "pause", "poweroff" or "run" */
	enum qmp_migration_state migration; /* MIGRATION */
	uint64_t pass;			    /* MIGRATION_PASS */
	char job[128];			    /* BLOCK_JOB_*, JOB_STATUS_CHANGE: the job's id */
	char error[128];		    /* BLOCK_JOB_COMPLETED: why it failed, "" if it did not */
};
/* Next event, as qmp_next_event (qmp.h) but typed; an event of the wrong
 * shape is consumed and reported as -EBADMSG (reason recorded). */
int qmp_event_next(struct qmp *q, int timeout_ms, struct qmp_event *ev);
/* An event object as a struct qmp_event; -EBADMSG (reason recorded) when
 * its shape is wrong.  The one JSON-level function here: for src/engine's
 * event readers and the tests that feed it. */
struct json_object;
int qmp_event_parse(struct json_object *o, struct qmp_event *ev);
