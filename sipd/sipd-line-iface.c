/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-line-iface.h"

KlSipLine1 *
sipd_line_iface_new (guint index)
{
  KlSipLine1 *iface = kl_sip_line1_skeleton_new ();

  kl_sip_line1_set_index (iface, index);
  kl_sip_line1_set_state (iface, "disabled");
  kl_sip_line1_set_phase (iface, "disabled");
  kl_sip_line1_set_transport (iface, "udp");
  kl_sip_line1_set_flows (iface, g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0));
  kl_sip_line1_set_subscriptions (iface, g_variant_new_array (G_VARIANT_TYPE ("(ssss)"), NULL, 0));
  kl_sip_line1_set_voice_messages (iface, g_variant_new ("(uu)", 0, 0));
  kl_sip_line1_set_blf_states (iface, g_variant_new_array (G_VARIANT_TYPE ("{ss}"), NULL, 0));
  return iface;
}

void
sipd_line_iface_show_settings (KlSipLine1 *iface, const SipdLineSettings *settings)
{
  kl_sip_line1_set_display_name (iface, settings ? settings->display_name : "");
  kl_sip_line1_set_screen_name (iface, settings ? settings->screen_name : "");
  kl_sip_line1_set_registrar (iface, "");
  kl_sip_line1_set_outbound (iface, FALSE);
  kl_sip_line1_set_last_error (iface, "");
  if (settings != NULL)
    kl_sip_line1_set_transport (iface, kl_transport_to_string (settings->transport));
}

void
sipd_line_iface_show_plan (KlSipLine1 *iface, SipdPlan *plan)
{
  const SipdPlanServers *servers = plan ? sipd_plan_get_servers (plan) : NULL;

  kl_sip_line1_set_aor (iface, servers ? servers->aor : "");
  kl_sip_line1_set_proxy (iface, servers ? servers->proxy : "");
  kl_sip_line1_set_on_backup (iface, servers ? servers->on_backup : FALSE);
}

/* One entry of the Flows property, with the keys the XML documents. */
static void
add_flow (GVariantBuilder *flows, guint reg_id, const char *purpose, SipdFlowKeeper *keeper)
{
  SipdFlowKeeperView view;
  GVariantBuilder entry;

  if (keeper == NULL || !sipd_flow_keeper_view (keeper, &view))
    return;
  g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&entry, "{sv}", "reg-id", g_variant_new_uint32 (reg_id));
  g_variant_builder_add (&entry, "{sv}", "purpose", g_variant_new_string (purpose));
  g_variant_builder_add (&entry, "{sv}", "transport", g_variant_new_string (kl_transport_to_string (view.transport)));
  g_variant_builder_add (&entry, "{sv}", "local", g_variant_new_string (view.local));
  g_variant_builder_add (&entry, "{sv}", "remote", g_variant_new_string (view.remote));
  g_variant_builder_add (&entry, "{sv}", "state", g_variant_new_string (view.state));
  g_variant_builder_add (&entry, "{sv}", "rtt-ms", g_variant_new_int32 (view.rtt_ms));
  g_variant_builder_add (&entry, "{sv}", "keep-alive-s", g_variant_new_uint32 (view.keepalive_s));
  g_variant_builder_add (&entry, "{sv}", "failures", g_variant_new_uint32 (view.failures));
  g_variant_builder_add (&entry, "{sv}", "last-failure", g_variant_new_string (view.last_failure));
  g_variant_builder_add_value (flows, g_variant_builder_end (&entry));
  sipd_flow_keeper_view_clear (&view);
}

void
sipd_line_iface_show_flows (KlSipLine1 *iface, SipdPlan *plan, gboolean outbound, SipdFlowKeeper *second)
{
  GVariantBuilder flows;

  g_variant_builder_init (&flows, G_VARIANT_TYPE ("aa{sv}"));
  if (plan != NULL) {
    add_flow (&flows, outbound ? 1 : 0, "registration", sipd_plan_get_keeper (plan));
    add_flow (&flows, 0, "proxy", sipd_plan_get_proxy_keeper (plan));
  }
  add_flow (&flows, 2, "registration", second);
  kl_sip_line1_set_flows (iface, g_variant_builder_end (&flows));
}
