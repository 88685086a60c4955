/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kl-test-phone.h"

#define SIP_NAME "org.keepline.Sip"

KlTestPhone *
kl_test_phone_new (void)
{
  KlTestPhone *self = g_new0 (KlTestPhone, 1);

  self->bus = kl_test_bus_new ();
  self->config_dir = kl_test_config_dir_new ();
  return self;
}

void
kl_test_phone_start_netmond (KlTestPhone *self)
{
  self->netmond = kl_test_bus_spawn_daemon (self->bus, "netmond", self->config_dir);
  g_assert_true (kl_test_bus_wait_for_name (self->bus, "org.keepline.NetMon", TRUE));
}

void
kl_test_phone_take_sipd (KlTestPhone *self, GSubprocess *sipd)
{
  g_autoptr (GError) error = NULL;

  self->sipd = sipd;
  g_assert_true (kl_test_bus_wait_for_name (self->bus, SIP_NAME, TRUE));
  self->line = kl_sip_line1_proxy_new_sync (self->bus->connection, G_DBUS_PROXY_FLAGS_NONE,
                                            SIP_NAME, "/org/keepline/Sip/Line/1", NULL, &error);
  g_assert_no_error (error);
}

void
kl_test_phone_start_sipd (KlTestPhone *self)
{
  kl_test_phone_take_sipd (self, kl_test_bus_spawn_daemon (self->bus, "sipd", self->config_dir));
}

void
kl_test_phone_stop_sipd (KlTestPhone *self)
{
  g_clear_object (&self->line);
  kl_test_daemon_stop (&self->sipd);
  g_assert_true (kl_test_bus_wait_for_name (self->bus, SIP_NAME, FALSE));
}

void
kl_test_phone_free (KlTestPhone *self)
{
  kl_test_phone_stop_sipd (self);
  kl_test_daemon_stop (&self->netmond);
  kl_test_config_dir_remove (self->config_dir);
  g_free (self->config_dir);
  kl_test_bus_free (self->bus);
  g_free (self);
}

gboolean
kl_test_line_registered (gpointer line)
{
  return g_strcmp0 (kl_sip_line1_get_state (line), "registered") == 0;
}

void
kl_test_phone_wait_registered (KlTestPhone *self, guint timeout_ms)
{
  if (!kl_test_wait_until (kl_test_line_registered, self->line, timeout_ms))
    g_error ("line 1 is %s, not registered; last error: %s", kl_sip_line1_get_state (self->line),
             kl_sip_line1_get_last_error (self->line));
}
