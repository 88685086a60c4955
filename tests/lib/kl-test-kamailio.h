/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A real Kamailio for end-to-end tests, started on a loopback address with the
 * template in tests/e2e/kamailio/ and stopped by its PID; its own tables are
 * read with kamcmd. */
#pragma once

#include <glib.h>

#include "kl-test-process.h"

G_BEGIN_DECLS

typedef struct {
  char *netns; /* the network namespace it runs in, or NULL */
  char *addr;
  char *domain; /* of its AORs, and its digest realm */
  char *rundir;
  char *certdir;
  guint flow_timer;
  char *defines; /* of kamailio.cfg.in, or NULL */
  int pid;
} KlTestKamailio;

char *kl_test_certificates_new (void);
KlTestKamailio *kl_test_kamailio_start (const char *addr, const char *certdir, guint flow_timer);
KlTestKamailio *kl_test_kamailio_start_full (const char *netns,
                                             const char *addr,
                                             const char *domain,
                                             const char *certdir,
                                             guint flow_timer);
KlTestKamailio *kl_test_kamailio_start_as (const char *addr, const char *certdir, guint flow_timer,
                                           const char *defines);
void kl_test_kamailio_stop (KlTestKamailio *self);
void kl_test_kamailio_free (KlTestKamailio *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestKamailio, kl_test_kamailio_free)

char *kl_test_kamailio_bindings (KlTestKamailio *self, const char *user);
guint kl_test_kamailio_count_bindings (KlTestKamailio *self, const char *user);
char *kl_test_kamailio_subscriptions (KlTestKamailio *self);
/* The MWI subscriptions it holds as notifier; through: only those whose
 * Record-Route names this address (an edge proxy), or NULL for all. A NULL
 * server holds none. */
guint kl_test_kamailio_count_mwi_subscriptions (KlTestKamailio *self, const char *through);
int kl_test_kamailio_inject (KlTestKamailio *self, const char *const *args, char **ret_output);
void kl_test_kamailio_reset_connections (KlTestKamailio *self);
void kl_test_kamailio_kill (KlTestKamailio *self);
void kl_test_kamailio_restart (KlTestKamailio *self);
void kl_test_kamailio_pause (KlTestKamailio *self, gboolean paused);
void kl_test_kamailio_black_hole (KlTestKamailio *self, gboolean on);
void kl_test_kamailio_set_register_reply (KlTestKamailio *self, guint status);
void kl_test_kamailio_set_uas (KlTestKamailio *self, const char *uri);

G_END_DECLS
