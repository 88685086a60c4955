/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A phone under test: a private bus, a configuration directory, and on that
 * bus sipd (and netmond when asked) with a proxy of line 1. The test writes
 * local.cfg into config_dir before it starts a daemon. */
#pragma once

#include "kl-dbus.h"
#include "kl-test-bus.h"

G_BEGIN_DECLS

typedef struct {
  KlTestBus *bus;
  char *config_dir;
  GSubprocess *netmond;
  GSubprocess *sipd;
  KlSipLine1 *line;
} KlTestPhone;

KlTestPhone *kl_test_phone_new (void);
void kl_test_phone_free (KlTestPhone *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KlTestPhone, kl_test_phone_free)

void kl_test_phone_start_netmond (KlTestPhone *self);
void kl_test_phone_start_sipd (KlTestPhone *self);
/* For a sipd the test spawned on self->bus itself: waits for its name and
 * makes line 1's proxy. */
void kl_test_phone_take_sipd (KlTestPhone *self, GSubprocess *sipd);
/* Clears the line, stops sipd (see kl_test_daemon_stop()) and waits until
 * its name is gone, so that sipd can start again. */
void kl_test_phone_stop_sipd (KlTestPhone *self);

/* For kl_test_wait_until(): whether the KlSipLine1 is "registered". */
gboolean kl_test_line_registered (gpointer line);
/* Fails the test with line 1's state and last error unless it is registered
 * within timeout_ms. */
void kl_test_phone_wait_registered (KlTestPhone *self, guint timeout_ms);

G_END_DECLS
