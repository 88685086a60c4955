/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A private dbus-daemon that enforces keepline's own bus policy, and the
 * daemons under test started on it as the system bus. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  GSubprocess *process;
  char *address;
  char *dir;
  GDBusConnection *connection;
} KlTestBus;

KlTestBus *kl_test_bus_new (void);
void kl_test_bus_free (KlTestBus *bus);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestBus, kl_test_bus_free)

const char *kl_test_build_path (const char *relative);
const char *kl_test_source_path (const char *relative);

GSubprocess *kl_test_spawn (GSubprocessFlags flags, const char *const *argv);
GSubprocess *kl_test_bus_spawn (KlTestBus *bus, GSubprocessFlags flags, const char *const *argv);
GSubprocess *kl_test_bus_spawn_daemon (KlTestBus *bus, const char *daemon, const char *config_dir);
gboolean kl_test_bus_wait_for_name (KlTestBus *bus, const char *name, gboolean owned);
void kl_test_process_stop (GSubprocess *process);
void kl_test_daemon_stop (GSubprocess **process);
int kl_test_process_wait (GSubprocess *process);

char *kl_test_config_dir_new (void);
void kl_test_config_write (const char *dir, const char *name, const char *text);
void kl_test_config_dir_remove (const char *dir);

gboolean kl_test_wait_until (gboolean (*condition) (gpointer), gpointer data, guint timeout_ms);
/* For a condition that is waited on: says why it does not hold yet, in *why
 * (for the test's error once the wait gives up), and returns FALSE. */
gboolean kl_test_not_yet (char **why, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* g_variant_lookup() in one entry (a{sv}) of a property such as Flows or
 * Servers; the test fails when the key is missing or of another type. A "&s"
 * string stays valid while the entry, or the property it came from, exists. */
void kl_test_lookup (GVariant *entry, const char *key, const char *format, ...);

/* Counts the times the State of a line (a proxy of org.keepline.Sip.Line1)
 * leaves "registered": a move made before it breaks leaves it never. The
 * watch must outlive the proxy. */
typedef struct {
  guint left;
  gboolean was_registered;
} KlTestRegisteredWatch;
void kl_test_watch_registered (GDBusProxy *line, KlTestRegisteredWatch *watch);

G_END_DECLS
