/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reading commands: status, line, flows, servers, calls. Each reads the
 * daemons' properties once and prints them as text, or as JSON with --json
 * (the properties under their D-Bus names). */
#include "kctl.h"
#include "kctl-text.h"

static int
no_arguments (int argc, char **argv)
{
  if (argc > 1)
    return kctl_usage_error ("%s: unexpected argument '%s'", argv[0], argv[1]);
  return KCTL_EXIT_OK;
}

/* sipd's state, or an exit code with the reason printed. */
static int
read_sip (Kctl *ctl, KctlSip **ret_sip)
{
  g_autoptr (GError) error = NULL;
  int ret = kctl_need (ctl, KCTL_SIP);

  if (ret != KCTL_EXIT_OK)
    return ret;
  *ret_sip = kctl_sip_read (ctl, &error);
  if (*ret_sip == NULL)
    return kctl_fail ("reading sipd's state", error);
  return KCTL_EXIT_OK;
}

/* netmond's properties, or NULL when it is not running. */
static GVariant *
read_netmon (Kctl *ctl)
{
  if (!kctl_has_owner (ctl, KCTL_NETMON))
    return NULL;
  return kctl_get_all (ctl, KCTL_NETMON, KCTL_NETMON_PATH, KCTL_NETMON_IFACE, NULL);
}

static GVariant *
maybe_dict (GVariant *dict)
{
  return g_variant_new_maybe (G_VARIANT_TYPE_VARDICT, dict);
}

/* LABEL: what comes before each flow, "  flow      " */
static void
print_flows_of (GVariant *line, const char *label)
{
  g_autoptr (GVariant) flows = g_variant_lookup_value (line, "Flows", G_VARIANT_TYPE ("aa{sv}"));
  GVariantIter iter;
  GVariant *flow;

  if (flows == NULL)
    return;
  g_variant_iter_init (&iter, flows);
  while ((flow = g_variant_iter_next_value (&iter)) != NULL) {
    g_autofree char *text = kctl_flow_text (flow);
    g_print ("%s%s\n", label, text);
    g_variant_unref (flow);
  }
}

static const char *
where (GVariant *line)
{
  if (kctl_bool (line, "OnBackup"))
    return "  ON BACKUP";
  return g_str_equal (kctl_str (line, "State"), "registered") ? "  primary" : "";
}

static void
print_line_summary (GVariant *line)
{
  const char *state = kctl_str (line, "State");
  const char *phase = kctl_str (line, "Phase");
  const char *label = kctl_str (line, "ScreenName");
  guint failovers = kctl_uint (line, "Failovers");

  g_print ("line %u  %s%s%s", kctl_uint (line, "Index"), label, *label ? "  " : "", state);
  if (!g_str_equal (state, phase))
    g_print (" (%s)", phase);
  g_print ("%s\n", where (line));
  g_print ("  address   %s (%s%s)\n", kctl_or_none (kctl_str (line, "Aor")),
           kctl_str (line, "Transport"), kctl_bool (line, "Outbound") ? ", outbound" : "");
  g_print ("  servers   registrar %s, proxy %s\n", kctl_or_none (kctl_str (line, "Registrar")),
           kctl_or_none (kctl_str (line, "Proxy")));
  print_flows_of (line, "  flow      ");
  if (failovers > 0)
    g_print ("  failover  %u times, back %u times; last: %s\n", failovers,
             kctl_uint (line, "Failbacks"), kctl_str (line, "LastFailover"));
  if (*kctl_str (line, "LastError"))
    g_print ("  error     %s\n", kctl_str (line, "LastError"));
}

static void
print_sipd (GVariant *manager)
{
  g_autofree const char **files = NULL;
  g_autofree char *joined = NULL;
  guint scale = kctl_uint (manager, "TimerScalePercent");

  g_variant_lookup (manager, "ConfigFiles", "^a&s", &files);
  joined = files ? g_strjoinv (", ", (char **)files) : g_strdup ("");
  g_print ("sipd %s, configuration %s (%s)\n", kctl_str (manager, "Version"),
           kctl_str (manager, "ConfigDirectory"), *joined ? joined : "no file");
  if (scale != 100)
    g_print ("timers scaled to %u %% (sip timer scale percent): a lab setting\n", scale);
}

static void
print_network (GVariant *netmon)
{
  g_autoptr (GVariant) servers = NULL;
  guint64 queries = 0, hits = 0;
  guint failed = 0;

  if (netmon == NULL) {
    g_print ("network   unknown: netmond is not running (sipd resolves names itself)\n");
    return;
  }
  g_print ("network   %s: %s\n", kctl_str (netmon, "Online"), kctl_str (netmon, "OnlineReason"));
  servers = g_variant_lookup_value (netmon, "Servers", G_VARIANT_TYPE ("aa{sv}"));
  for (gsize i = 0; servers && i < g_variant_n_children (servers); i++) {
    g_autoptr (GVariant) server = g_variant_get_child_value (servers, i);
    failed += g_str_equal (kctl_str (server, "state"), "failed");
  }
  g_variant_lookup (netmon, "DnsQueries", "t", &queries);
  g_variant_lookup (netmon, "DnsCacheHits", "t", &hits);
  g_print ("DNS       %" G_GSIZE_FORMAT " servers watched, %u failed; %" G_GUINT64_FORMAT
           " queries, %" G_GUINT64_FORMAT " answers from the cache\n",
           servers ? g_variant_n_children (servers) : 0, failed, queries, hits);
}

int
kctl_status (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (KctlSip) sip = NULL;
  g_autoptr (GVariant) netmon = NULL;
  g_autoptr (GString) disabled = g_string_new (NULL);
  int ret = no_arguments (argc, argv);

  if (ret != KCTL_EXIT_OK || (ret = read_sip (ctl, &sip)) != KCTL_EXIT_OK)
    return ret;
  netmon = read_netmon (ctl);
  if (ctl->json) {
    GVariantBuilder all;
    g_variant_builder_init (&all, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&all, "{sv}", "sipd", sip->manager);
    g_variant_builder_add (&all, "{sv}", "lines", kctl_array_of (sip->lines));
    g_variant_builder_add (&all, "{sv}", "calls", kctl_array_of (sip->calls));
    g_variant_builder_add (&all, "{sv}", "netmond", maybe_dict (netmon));
    kctl_json_print (g_variant_builder_end (&all));
    return KCTL_EXIT_OK;
  }
  print_sipd (sip->manager);
  print_network (netmon);
  for (guint i = 0; i < sip->lines->len; i++) {
    GVariant *line = g_ptr_array_index (sip->lines, i);
    if (g_str_equal (kctl_str (line, "State"), "disabled")) {
      g_string_append_printf (disabled, " %u", kctl_uint (line, "Index"));
      continue;
    }
    g_print ("\n");
    print_line_summary (line);
  }
  if (disabled->len > 0)
    g_print ("\nlines%s: disabled (no user name)\n", disabled->str);
  g_print ("\ncalls     %u\n", sip->calls->len);
  for (guint i = 0; i < sip->calls->len; i++) {
    g_autofree char *text = kctl_call_text (g_ptr_array_index (sip->calls, i));
    g_print ("  %s\n", text);
  }
  return KCTL_EXIT_OK;
}

static void
print_subscriptions (GVariant *line)
{
  g_autoptr (GVariant) subscriptions
      = g_variant_lookup_value (line, "Subscriptions", G_VARIANT_TYPE ("a(ssss)"));
  GVariantIter iter;
  const char *event, *uri, *state, *proxy;

  if (subscriptions == NULL)
    return;
  g_variant_iter_init (&iter, subscriptions);
  while (g_variant_iter_next (&iter, "(&s&s&s&s)", &event, &uri, &state, &proxy))
    g_print ("  subscription   %s %s %s via %s\n", event, uri, state, kctl_or_none (proxy));
}

static void
print_blf (GVariant *line)
{
  g_autoptr (GVariant) blf = g_variant_lookup_value (line, "BlfStates", G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *extension, *state;

  if (blf == NULL)
    return;
  g_variant_iter_init (&iter, blf);
  while (g_variant_iter_next (&iter, "{&s&s}", &extension, &state))
    g_print ("  busy lamp      %s %s\n", extension, state);
}

static void
print_line_detail (GVariant *line)
{
  guint new_messages = 0, old_messages = 0;

  g_variant_lookup (line, "VoiceMessages", "(uu)", &new_messages, &old_messages);
  g_print ("line %u\n", kctl_uint (line, "Index"));
  g_print ("  state          %s (phase %s)%s\n", kctl_str (line, "State"), kctl_str (line, "Phase"),
           where (line));
  g_print ("  screen name    %s\n", kctl_or_none (kctl_str (line, "ScreenName")));
  g_print ("  display name   %s\n", kctl_or_none (kctl_str (line, "DisplayName")));
  g_print ("  address        %s\n", kctl_or_none (kctl_str (line, "Aor")));
  g_print ("  registrar      %s\n", kctl_or_none (kctl_str (line, "Registrar")));
  g_print ("  proxy          %s\n", kctl_or_none (kctl_str (line, "Proxy")));
  g_print ("  on backup      %s\n", kctl_bool (line, "OnBackup") ? "yes" : "no");
  g_print ("  transport      %s%s\n", kctl_str (line, "Transport"),
           kctl_bool (line, "Outbound") ? ", SIP Outbound in use" : "");
  print_flows_of (line, "  flow           ");
  print_subscriptions (line);
  g_print ("  voicemail      %u new, %u old%s\n", new_messages, old_messages,
           kctl_bool (line, "MessagesWaiting") ? ", messages waiting" : "");
  print_blf (line);
  g_print ("  failovers      %u, failbacks %u\n", kctl_uint (line, "Failovers"),
           kctl_uint (line, "Failbacks"));
  g_print ("  last failover  %s\n", kctl_or_none (kctl_str (line, "LastFailover")));
  g_print ("  last error     %s\n", kctl_or_none (kctl_str (line, "LastError")));
}

int
kctl_line (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (KctlSip) sip = NULL;
  GVariant *line;
  guint index;
  int ret;

  if (argc != 2)
    return kctl_usage_error ("line: give one line number, 1 to 9");
  if ((ret = kctl_parse_line (argv[1], &index)) != KCTL_EXIT_OK
      || (ret = read_sip (ctl, &sip)) != KCTL_EXIT_OK)
    return ret;
  line = kctl_sip_line (sip, index);
  if (line == NULL)
    return kctl_fail_with (KCTL_EXIT_NOT_FOUND, "line %u: sipd has no such object", index);
  if (ctl->json)
    kctl_json_print (line);
  else
    print_line_detail (line);
  return KCTL_EXIT_OK;
}

/* Every line's flows, each with its line number as "line". */
static GVariant *
all_flows (KctlSip *sip)
{
  GVariantBuilder all;

  g_variant_builder_init (&all, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < sip->lines->len; i++) {
    GVariant *line = g_ptr_array_index (sip->lines, i);
    g_autoptr (GVariant) flows = g_variant_lookup_value (line, "Flows", G_VARIANT_TYPE ("aa{sv}"));
    for (gsize f = 0; flows && f < g_variant_n_children (flows); f++) {
      g_autoptr (GVariant) flow = g_variant_get_child_value (flows, f);
      GVariantBuilder entry;
      GVariantIter iter;
      const char *key;
      GVariant *value;

      g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&entry, "{sv}", "line",
                             g_variant_new_uint32 (kctl_uint (line, "Index")));
      g_variant_iter_init (&iter, flow);
      while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
        g_variant_builder_add (&entry, "{sv}", key, value);
        g_variant_unref (value);
      }
      g_variant_builder_add_value (&all, g_variant_builder_end (&entry));
    }
  }
  return g_variant_ref_sink (g_variant_builder_end (&all));
}

int
kctl_flows (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (KctlSip) sip = NULL;
  g_autoptr (GVariant) flows = NULL;
  int ret = no_arguments (argc, argv);

  if (ret != KCTL_EXIT_OK || (ret = read_sip (ctl, &sip)) != KCTL_EXIT_OK)
    return ret;
  flows = all_flows (sip);
  if (ctl->json) {
    kctl_json_print (flows);
    return KCTL_EXIT_OK;
  }
  if (g_variant_n_children (flows) == 0)
    g_print ("no flows\n");
  for (gsize i = 0; i < g_variant_n_children (flows); i++) {
    g_autoptr (GVariant) flow = g_variant_get_child_value (flows, i);
    g_autofree char *text = kctl_flow_text (flow);
    g_print ("line %u  %s\n", kctl_uint (flow, "line"), text);
  }
  return KCTL_EXIT_OK;
}

static void
print_watched (GVariant *server, GVariant *probes)
{
  g_autoptr (GVariant) targets
      = g_variant_lookup_value (server, "targets", G_VARIANT_TYPE ("aa{sv}"));
  guint16 port = 0;
  guint ttl = 0;

  g_variant_lookup (server, "port", "q", &port);
  g_variant_lookup (server, "ttl-s", "u", &ttl);
  g_print ("%s:%u/%s  %s", kctl_str (server, "host"), port, kctl_str (server, "transport"),
           kctl_str (server, "state"));
  if (ttl != 0 && ttl != G_MAXUINT32)
    g_print (", ttl %u s", ttl);
  if (*kctl_str (server, "error"))
    g_print (", %s", kctl_str (server, "error"));
  if (*kctl_str (server, "incomplete"))
    g_print (", incomplete: %s", kctl_str (server, "incomplete"));
  g_print ("\n");
  for (gsize i = 0; targets && i < g_variant_n_children (targets); i++) {
    g_autoptr (GVariant) target = g_variant_get_child_value (targets, i);
    guint16 target_port = 0;
    guint16 priority = 0, weight = 0;

    g_variant_lookup (target, "port", "q", &target_port);
    g_variant_lookup (target, "priority", "q", &priority);
    g_variant_lookup (target, "weight", "q", &weight);
    g_print ("  %s:%u", kctl_str (target, "address"), target_port);
    if (priority || weight)
      g_print (" (priority %u, weight %u)", priority, weight);
    for (gsize p = 0; probes && p < g_variant_n_children (probes); p++) {
      g_autoptr (GVariant) probe = g_variant_get_child_value (probes, p);
      guint16 probe_port = 0;

      g_variant_lookup (probe, "port", "q", &probe_port);
      if (probe_port != target_port
          || !g_str_equal (kctl_str (probe, "address"), kctl_str (target, "address"))
          || !g_str_equal (kctl_str (probe, "transport"), kctl_str (server, "transport")))
        continue;
      g_print ("  %s: %s", kctl_str (probe, "state"), kctl_str (probe, "reason"));
      if (kctl_int (probe, "rtt-ms") >= 0)
        g_print (", rtt %d ms", kctl_int (probe, "rtt-ms"));
    }
    g_print ("\n");
  }
}

int
kctl_servers (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (KctlSip) sip = NULL;
  g_autoptr (GVariant) netmon = NULL;
  g_autoptr (GVariant) watched = NULL;
  g_autoptr (GVariant) probes = NULL;
  int ret = no_arguments (argc, argv);

  if (ret != KCTL_EXIT_OK || (ret = read_sip (ctl, &sip)) != KCTL_EXIT_OK)
    return ret;
  netmon = read_netmon (ctl);
  if (netmon != NULL) {
    watched = g_variant_lookup_value (netmon, "Servers", G_VARIANT_TYPE ("aa{sv}"));
    probes = g_variant_lookup_value (netmon, "Probes", G_VARIANT_TYPE ("aa{sv}"));
  }
  if (ctl->json) {
    GVariantBuilder all;
    g_variant_builder_init (&all, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&all, "{sv}", "lines", kctl_array_of (sip->lines));
    g_variant_builder_add (&all, "{sv}", "watched",
                           g_variant_new_maybe (G_VARIANT_TYPE ("aa{sv}"), watched));
    g_variant_builder_add (&all, "{sv}", "probes",
                           g_variant_new_maybe (G_VARIANT_TYPE ("aa{sv}"), probes));
    kctl_json_print (g_variant_builder_end (&all));
    return KCTL_EXIT_OK;
  }
  for (guint i = 0; i < sip->lines->len; i++) {
    GVariant *line = g_ptr_array_index (sip->lines, i);
    if (g_str_equal (kctl_str (line, "State"), "disabled"))
      continue;
    g_print ("line %u  %s  registrar %s, proxy %s%s\n", kctl_uint (line, "Index"),
             kctl_str (line, "Transport"), kctl_or_none (kctl_str (line, "Registrar")),
             kctl_or_none (kctl_str (line, "Proxy")),
             kctl_bool (line, "OnBackup") ? "  ON BACKUP" : "");
  }
  if (watched == NULL) {
    g_print ("\nnetmond is not running: no DNS answers or probes to show\n");
    return KCTL_EXIT_OK;
  }
  g_print ("\nservers netmond watches:\n");
  for (gsize i = 0; i < g_variant_n_children (watched); i++) {
    g_autoptr (GVariant) server = g_variant_get_child_value (watched, i);
    print_watched (server, probes);
  }
  return KCTL_EXIT_OK;
}

int
kctl_calls (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (KctlSip) sip = NULL;
  int ret = no_arguments (argc, argv);

  if (ret != KCTL_EXIT_OK || (ret = read_sip (ctl, &sip)) != KCTL_EXIT_OK)
    return ret;
  if (ctl->json) {
    kctl_json_print (kctl_array_of (sip->calls));
    return KCTL_EXIT_OK;
  }
  if (sip->calls->len == 0)
    g_print ("no calls\n");
  for (guint i = 0; i < sip->calls->len; i++) {
    g_autofree char *text = kctl_call_text (g_ptr_array_index (sip->calls, i));
    g_print ("%s\n", text);
  }
  return KCTL_EXIT_OK;
}
