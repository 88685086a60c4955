/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* resolve: netmond's answer for one server, as sipd would get it. */
#include "kctl.h"

#include <string.h>

static int
parse (int argc, char **argv, const char **ret_name, const char **ret_transport, guint *ret_port)
{
  const char *name = NULL;
  const char *transport = "udp";
  guint port = 0;
  int positional = 0;

  for (int i = 1; i < argc; i++) {
    const char *value = NULL;

    if (g_str_equal (argv[i], "--port") && i + 1 < argc)
      value = argv[++i];
    else if (g_str_has_prefix (argv[i], "--port="))
      value = argv[i] + strlen ("--port=");
    else if (g_str_has_prefix (argv[i], "-"))
      return kctl_usage_error ("resolve: unknown option '%s'", argv[i]);
    else if (++positional == 1)
      name = argv[i];
    else if (positional == 2)
      transport = argv[i];
    else if (positional > 2)
      return kctl_usage_error ("resolve: unexpected argument '%s'", argv[i]);
    if (value != NULL && !kctl_parse_number (value, 0, 65535, &port))
      return kctl_usage_error ("resolve: '%s' is not a port", value);
  }
  if (positional == 0)
    return kctl_usage_error ("resolve: give a name, e.g. 'resolve pbx.example.com tcp'");
  if (!g_str_equal (transport, "udp") && !g_str_equal (transport, "tcp")
      && !g_str_equal (transport, "tls"))
    return kctl_usage_error ("resolve: the transport is udp, tcp or tls, not '%s'", transport);
  *ret_name = name;
  *ret_transport = transport;
  *ret_port = port;
  return KCTL_EXIT_OK;
}

static void
print_json (const char *host, guint port, const char *transport, GVariant *targets, guint ttl,
            const char *path)
{
  GVariantBuilder result, list;
  GVariantIter iter;
  const char *address;
  guint16 target_port;

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_iter_init (&iter, targets);
  while (g_variant_iter_next (&iter, "(&sqq)", &address, &target_port, NULL)) {
    GVariantBuilder target;
    g_variant_builder_init (&target, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&target, "{sv}", "address", g_variant_new_string (address));
    g_variant_builder_add (&target, "{sv}", "port", g_variant_new_uint16 (target_port));
    g_variant_builder_add_value (&list, g_variant_builder_end (&target));
  }
  g_variant_builder_init (&result, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&result, "{sv}", "host", g_variant_new_string (host));
  g_variant_builder_add (&result, "{sv}", "port", g_variant_new_uint16 ((guint16)port));
  g_variant_builder_add (&result, "{sv}", "transport", g_variant_new_string (transport));
  g_variant_builder_add (&result, "{sv}", "targets", g_variant_builder_end (&list));
  g_variant_builder_add (&result, "{sv}", "ttl-s", g_variant_new_uint32 (ttl));
  g_variant_builder_add (&result, "{sv}", "path", g_variant_new_string (path));
  kctl_json_print (g_variant_builder_end (&result));
}

int
kctl_resolve (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) targets = NULL;
  g_autofree char *what = NULL;
  const char *name = NULL;
  const char *transport = NULL;
  const char *path;
  GVariantIter iter;
  const char *address;
  guint16 target_port;
  guint port = 0, ttl;
  int ret;

  if ((ret = parse (argc, argv, &name, &transport, &port)) != KCTL_EXIT_OK
      || (ret = kctl_need (ctl, KCTL_NETMON)) != KCTL_EXIT_OK)
    return ret;
  reply = kctl_call (ctl, KCTL_NETMON, KCTL_NETMON_PATH, KCTL_NETMON_IFACE, "Resolve",
                     g_variant_new ("(sqs)", name, (guint16)port, transport), "(a(sqq)us)", &error);
  if (reply == NULL) {
    what = g_strdup_printf ("resolve %s (%s)", name, transport);
    return kctl_fail (what, error);
  }
  g_variant_get (reply, "(@a(sqq)u&s)", &targets, &ttl, &path);
  if (ctl->json) {
    print_json (name, port, transport, targets, ttl, path);
    return KCTL_EXIT_OK;
  }
  g_print ("%s (%s): %s", name, transport, path);
  if (ttl != G_MAXUINT32)
    g_print ("; ttl %u s", ttl);
  g_print ("\n");
  g_variant_iter_init (&iter, targets);
  while (g_variant_iter_next (&iter, "(&sqq)", &address, &target_port, NULL))
    g_print ("  %s:%u\n", address, target_port);
  return KCTL_EXIT_OK;
}
