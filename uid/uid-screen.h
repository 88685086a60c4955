/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the phone's screen shows, from a snapshot of sipd's and netmond's
 * state: pure functions, so the tests can check every wording and every
 * screen without a bus. The rows are the Screen property, and what
 * uid --tty draws (uid-tty.h), at most UID_SCREEN_COLUMNS wide and
 * UID_SCREEN_ROWS high. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define UID_SCREEN_COLUMNS 80
#define UID_SCREEN_ROWS 24

typedef struct {
  guint index;
  const char *aor; /* "sip:user@host" */
  const char *screen_name;
  const char *state; /* Line1.State */
  gboolean on_backup;
  const char *registrar; /* host:port in use, or "" */
  guint new_messages;
  guint old_messages;
  gboolean messages_waiting;
} UidLineInfo;

typedef struct {
  const char *extension;
  const char *state; /* Line1.BlfStates: "idle", "early", "confirmed", "unknown" */
} UidLamp;

typedef struct {
  guint line;
  const char *direction; /* "incoming", "outgoing" */
  const char *state;     /* Call1.State */
  const char *remote_uri;
  const char *remote_name;
  gint64 start_time_s; /* Call1.StartTime in seconds since the epoch; 0 before */
} UidCallInfo;

typedef enum {
  UID_ROW_STATUS, /* the first: network and service */
  UID_ROW_LINE,
  UID_ROW_LAMPS,
  UID_ROW_CALL,
  UID_ROW_ALERT,  /* a call ringing here */
  UID_ROW_NOTICE, /* a failover or failback, for a while */
  UID_ROW_KEYS,   /* the soft keys, last */
} UidRowKind;

typedef struct {
  gboolean sip_service;
  const char *network;        /* NetMon1.Online */
  const char *network_reason; /* NetMon1.OnlineReason */
  const UidLineInfo *lines;
  guint n_lines;
  const UidLamp *lamps;
  guint n_lamps;
  const UidCallInfo *calls;
  guint n_calls;
  const char *notice; /* or NULL */
  gint64 now_s;
} UidScreenModel;

typedef struct {
  UidRowKind kind;
  char *text;
} UidRow;

/* The soft keys: what a key press does now. */
typedef enum {
  UID_KEY_NONE,
  UID_KEY_ANSWER,
  UID_KEY_REJECT,
  UID_KEY_HANG_UP,
} UidKeyAction;

const char *uid_screen_status_words (const char *state);
char *uid_screen_label (const UidLineInfo *line);
const char *uid_screen_network_words (gboolean sip_service, const char *network);
char *uid_screen_line_row (const UidLineInfo *line);

/* of UidRow, at most UID_SCREEN_ROWS, each at most UID_SCREEN_COLUMNS wide */
GPtrArray *uid_screen_render (const UidScreenModel *model);
/* The call a soft key acts on, by index into model->calls, or -1; "1" is
 * Answer, "2" Reject, "3" Hang up. */
UidKeyAction uid_screen_key_action (const UidScreenModel *model, char key, gint *ret_call);
/* Cut to COLUMNS characters (not bytes). */
char *uid_screen_fit (const char *text, guint columns);

G_END_DECLS
