/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The changing commands (dial, answer, hangup, register, reload) and resolve.
 * The bus policy allows the changing ones to root and the group keepline. */
#include "kctl.h"
#include "kctl-text.h"

#include <string.h>

/* keeplinectl does no media: without --sdp it offers audio that is inactive,
 * enough to test the signalling of a call. */
static const char placeholder_sdp[] = "v=0\r\n"
                                      "o=keeplinectl 1 1 IN IP4 0.0.0.0\r\n"
                                      "s=keeplinectl\r\n"
                                      "c=IN IP4 0.0.0.0\r\n"
                                      "t=0 0\r\n"
                                      "m=audio 9 RTP/AVP 0\r\n"
                                      "a=inactive\r\n";

/* Removes "--NAME VALUE" or "--NAME=VALUE" from argv; *ret_value stays as it
 * is when the option is absent. */
static int
take_option (int *argc, char **argv, const char *name, const char **ret_value)
{
  g_autofree char *flag = g_strconcat ("--", name, NULL);
  g_autofree char *prefix = g_strconcat (flag, "=", NULL);
  int out = 0;

  for (int i = 0; i < *argc; i++) {
    if (g_str_equal (argv[i], flag)) {
      if (i + 1 >= *argc)
        return kctl_usage_error ("%s needs a value", flag);
      *ret_value = argv[++i];
    } else if (g_str_has_prefix (argv[i], prefix)) {
      *ret_value = argv[i] + strlen (prefix);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = NULL;
  for (int i = 1; i < out; i++)
    if (g_str_has_prefix (argv[i], "--"))
      return kctl_usage_error ("%s: unknown option '%s'", argv[0], argv[i]);
  return KCTL_EXIT_OK;
}

static int
read_sdp (const char *file, char **ret_sdp)
{
  g_autoptr (GError) error = NULL;

  if (file == NULL) {
    *ret_sdp = g_strdup (placeholder_sdp);
    return KCTL_EXIT_OK;
  }
  if (!g_file_get_contents (file, ret_sdp, NULL, &error))
    return kctl_usage_error ("--sdp: %s", error->message);
  return KCTL_EXIT_OK;
}

static int
call_method (Kctl *ctl, const char *what, const char *name, const char *path, const char *iface,
             const char *method, GVariant *parameters, const char *reply_type, GVariant **ret_reply)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  int ret = kctl_need (ctl, name);

  if (ret != KCTL_EXIT_OK) {
    if (parameters != NULL)
      g_variant_unref (g_variant_ref_sink (parameters));
    return ret;
  }
  reply = kctl_call (ctl, name, path, iface, method, parameters, reply_type, &error);
  if (reply == NULL)
    return kctl_fail (what, error);
  if (ret_reply != NULL)
    *ret_reply = g_steal_pointer (&reply);
  return KCTL_EXIT_OK;
}

int
kctl_dial (Kctl *ctl, int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autofree char *sdp = NULL;
  g_autofree char *what = NULL;
  g_autoptr (GVariant) reply = NULL;
  const char *sdp_file = NULL;
  const char *call;
  guint index;
  int ret;

  if ((ret = take_option (&argc, argv, "sdp", &sdp_file)) != KCTL_EXIT_OK)
    return ret;
  if (argc != 3)
    return kctl_usage_error ("dial: give a line and whom to call, e.g. 'dial 1 1002'");
  if ((ret = kctl_parse_line (argv[1], &index)) != KCTL_EXIT_OK
      || (ret = read_sdp (sdp_file, &sdp)) != KCTL_EXIT_OK)
    return ret;
  path = kctl_line_path (index);
  what = g_strdup_printf ("dial %s from line %u", argv[2], index);
  ret = call_method (ctl, what, KCTL_SIP, path, KCTL_LINE_IFACE, "Dial",
                     g_variant_new ("(ss)", argv[2], sdp), "(o)", &reply);
  if (ret != KCTL_EXIT_OK)
    return ret;
  g_variant_get (reply, "(&o)", &call);
  if (ctl->json) {
    GVariantBuilder result;
    g_variant_builder_init (&result, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&result, "{sv}", "path", g_variant_new_object_path (call));
    kctl_json_print (g_variant_builder_end (&result));
  } else {
    g_print ("%s\n", call);
  }
  return KCTL_EXIT_OK;
}

typedef gboolean (*CallFilter) (GVariant *call);

static gboolean
rings_here (GVariant *call)
{
  return g_str_equal (kctl_str (call, "Direction"), "incoming")
         && g_str_equal (kctl_str (call, "State"), "ringing");
}

static gboolean
not_ended (GVariant *call)
{
  return !g_str_equal (kctl_str (call, "State"), "ended");
}

/* The call named by ARG (its number or object path), or without ARG the one
 * call that FILTER accepts. */
static int
pick_call (Kctl *ctl, const char *arg, CallFilter filter, const char *none, char **ret_path)
{
  g_autoptr (KctlSip) sip = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) ids = g_string_new (NULL);
  const char *found = NULL;
  guint id, matches = 0;
  int ret = kctl_need (ctl, KCTL_SIP);

  if (ret != KCTL_EXIT_OK)
    return ret;
  if (arg != NULL
      && !kctl_parse_number (g_str_has_prefix (arg, KCTL_SIP_PATH "/Call/") ? strrchr (arg, '/') + 1
                                                                            : arg,
                             1, G_MAXUINT, &id))
    return kctl_usage_error ("'%s' is not a call: give its number, as 'keeplinectl calls' shows",
                             arg);
  sip = kctl_sip_read (ctl, &error);
  if (sip == NULL)
    return kctl_fail ("reading sipd's calls", error);
  if (arg != NULL) {
    if (kctl_sip_call (sip, id) == NULL)
      return kctl_fail_with (KCTL_EXIT_NOT_FOUND, "no call %u", id);
    *ret_path = kctl_call_path (id);
    return KCTL_EXIT_OK;
  }
  for (guint i = 0; i < sip->calls->len; i++) {
    GVariant *call = g_ptr_array_index (sip->calls, i);
    if (!filter (call))
      continue;
    matches++;
    found = kctl_str (call, "path");
    g_string_append_printf (ids, " %u", kctl_uint (call, "id"));
  }
  if (matches == 0)
    return kctl_fail_with (KCTL_EXIT_NOT_FOUND, "%s", none);
  if (matches > 1)
    return kctl_usage_error ("calls%s: name one", ids->str);
  *ret_path = g_strdup (found);
  return KCTL_EXIT_OK;
}

int
kctl_answer (Kctl *ctl, int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autofree char *sdp = NULL;
  const char *sdp_file = NULL;
  int ret;

  if ((ret = take_option (&argc, argv, "sdp", &sdp_file)) != KCTL_EXIT_OK)
    return ret;
  if (argc > 2)
    return kctl_usage_error ("answer: at most one call");
  if ((ret = read_sdp (sdp_file, &sdp)) != KCTL_EXIT_OK
      || (ret = pick_call (ctl, argv[1], rings_here, "no call rings", &path)) != KCTL_EXIT_OK)
    return ret;
  return call_method (ctl, "answer", KCTL_SIP, path, KCTL_CALL_IFACE, "Answer",
                      g_variant_new ("(s)", sdp), NULL, NULL);
}

int
kctl_hangup (Kctl *ctl, int argc, char **argv)
{
  g_autofree char *path = NULL;
  int ret;

  if (argc > 2)
    return kctl_usage_error ("hangup: at most one call");
  if ((ret = pick_call (ctl, argv[1], not_ended, "no call to hang up", &path)) != KCTL_EXIT_OK)
    return ret;
  return call_method (ctl, "hangup", KCTL_SIP, path, KCTL_CALL_IFACE, "Hangup", NULL, NULL, NULL);
}

int
kctl_register (Kctl *ctl, int argc, char **argv)
{
  g_autofree char *path = NULL;
  g_autofree char *what = NULL;
  guint index;
  int ret;

  if (argc != 2)
    return kctl_usage_error ("register: give one line number, 1 to 9");
  if ((ret = kctl_parse_line (argv[1], &index)) != KCTL_EXIT_OK)
    return ret;
  path = kctl_line_path (index);
  what = g_strdup_printf ("register line %u", index);
  return call_method (ctl, what, KCTL_SIP, path, KCTL_LINE_IFACE, "Register", NULL, NULL, NULL);
}

int
kctl_reload (Kctl *ctl, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *remote = NULL;
  int ret;

  if (argc > 1)
    return kctl_usage_error ("reload: unexpected argument '%s'", argv[1]);
  if ((ret = kctl_need (ctl, KCTL_SIP)) != KCTL_EXIT_OK)
    return ret;
  reply
      = kctl_call (ctl, KCTL_SIP, KCTL_SIP_PATH, KCTL_MANAGER_IFACE, "Reload", NULL, NULL, &error);
  if (reply != NULL)
    return KCTL_EXIT_OK;
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, "org.keepline.Sip.Error.InvalidConfig") == 0) {
    /* one error per line of the message: file:line: error: key: reason */
    g_dbus_error_strip_remote_error (error);
    g_printerr ("keeplinectl: reload refused: %s\n", error->message);
    return KCTL_EXIT_FAILED;
  }
  return kctl_fail ("reload", error);
}
