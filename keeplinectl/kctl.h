/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* keeplinectl: what its commands share — the bus, the exit codes, the output mode. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define KCTL_SIP "org.keepline.Sip"
#define KCTL_NETMON "org.keepline.NetMon"
#define KCTL_UI "org.keepline.Ui"
#define KCTL_SIP_PATH "/org/keepline/Sip"
#define KCTL_NETMON_PATH "/org/keepline/NetMon"
#define KCTL_LINE_IFACE "org.keepline.Sip.Line1"
#define KCTL_CALL_IFACE "org.keepline.Sip.Call1"
#define KCTL_MANAGER_IFACE "org.keepline.Sip.Manager1"
#define KCTL_NETMON_IFACE "org.keepline.NetMon1"

/* What scripts can rely on; keeplinectl(1) lists them. */
typedef enum {
  KCTL_EXIT_OK = 0,
  KCTL_EXIT_FAILED = 1,      /* a D-Bus error, or the daemon refused the request */
  KCTL_EXIT_USAGE = 2,       /* bad command line */
  KCTL_EXIT_NOT_RUNNING = 3, /* the daemon is not on the bus, or there is no bus */
  KCTL_EXIT_DENIED = 4,      /* the bus policy refused: not root nor in the group keepline */
  KCTL_EXIT_NOT_FOUND = 5,   /* no such call, or no such name in DNS */
} KctlExit;

typedef struct {
  GDBusConnection *bus;
  gboolean json;
} Kctl;

typedef int (*KctlCommand) (Kctl *ctl, int argc, char **argv);

/* kctl-bus.c */
GDBusConnection *kctl_bus_connect (GError **error);
int kctl_need (Kctl *ctl, const char *name);
gboolean kctl_has_owner (Kctl *ctl, const char *name);
GVariant *kctl_call (Kctl *ctl, const char *name, const char *path, const char *iface,
                     const char *method, GVariant *parameters, const char *reply_type,
                     GError **error);
GVariant *kctl_get_all (Kctl *ctl, const char *name, const char *path, const char *iface,
                        GError **error);
int kctl_fail (const char *what, const GError *error);
int kctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
int kctl_fail_with (KctlExit code, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* kctl-json.c */
void kctl_json_append (GString *out, GVariant *value);
void kctl_json_print (GVariant *value);

/* kctl-sip.c: sipd's objects as plain dictionaries */
typedef struct {
  GVariant *manager; /* a{sv}: Manager1's properties */
  GPtrArray *lines;  /* a{sv} each: Line1's properties, by Index */
  GPtrArray *calls;  /* a{sv} each: Call1's properties with "id" and "path" */
} KctlSip;

KctlSip *kctl_sip_read (Kctl *ctl, GError **error);
void kctl_sip_free (KctlSip *sip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KctlSip, kctl_sip_free)
GVariant *kctl_sip_line (KctlSip *sip, guint index);
GVariant *kctl_sip_call (KctlSip *sip, guint id);
guint kctl_sip_line_index_of_path (const char *path);
gboolean kctl_parse_number (const char *text, guint min, guint max, guint *ret_value);
int kctl_parse_line (const char *text, guint *ret_index);
char *kctl_line_path (guint index);
char *kctl_call_path (guint id);

/* kctl-read.c */
int kctl_status (Kctl *ctl, int argc, char **argv);
int kctl_line (Kctl *ctl, int argc, char **argv);
int kctl_flows (Kctl *ctl, int argc, char **argv);
int kctl_servers (Kctl *ctl, int argc, char **argv);
int kctl_calls (Kctl *ctl, int argc, char **argv);

/* kctl-act.c */
int kctl_dial (Kctl *ctl, int argc, char **argv);
int kctl_answer (Kctl *ctl, int argc, char **argv);
int kctl_hangup (Kctl *ctl, int argc, char **argv);
int kctl_register (Kctl *ctl, int argc, char **argv);
int kctl_reload (Kctl *ctl, int argc, char **argv);
int kctl_resolve (Kctl *ctl, int argc, char **argv);

/* kctl-monitor.c */
int kctl_monitor (Kctl *ctl, int argc, char **argv);

G_END_DECLS
