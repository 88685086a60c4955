/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipd-call"

#include "sipd-call-iface.h"

/* The callers find ok in a statement of its own: error is set by that, and C
 * leaves the order in which arguments are evaluated open. */
static gboolean
finish (GDBusMethodInvocation *invocation, gboolean ok, GError *error)
{
  if (ok)
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_answer (KlSipCall1 *iface, GDBusMethodInvocation *invocation, const char *sdp, gpointer call)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sipd_call_answer (call, sdp, &error);

  return finish (invocation, ok, error);
}

static gboolean
on_handle_reject (KlSipCall1 *iface, GDBusMethodInvocation *invocation, guint code, gpointer call)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sipd_call_reject (call, code, &error);

  return finish (invocation, ok, error);
}

static gboolean
on_handle_hangup (KlSipCall1 *iface, GDBusMethodInvocation *invocation, gpointer call)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = sipd_call_hangup (call, &error);

  return finish (invocation, ok, error);
}

/* A re-INVITE's outcome, when the far end answers: the method's return. */
static void
on_reinvite_done (SipdCall *call, const GError *error, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;

  if (error != NULL)
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
on_handle_hold (KlSipCall1 *iface, GDBusMethodInvocation *invocation, const char *sdp, gpointer call)
{
  g_autoptr (GError) error = NULL;

  if (!sipd_call_hold (call, sdp, on_reinvite_done, invocation, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
on_handle_resume (KlSipCall1 *iface, GDBusMethodInvocation *invocation, const char *sdp, gpointer call)
{
  g_autoptr (GError) error = NULL;

  if (!sipd_call_resume (call, sdp, on_reinvite_done, invocation, &error))
    g_dbus_method_invocation_return_gerror (invocation, error);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

void
sipd_call_iface_connect (KlSipCall1 *iface, SipdCall *call)
{
  g_signal_connect (iface, "handle-answer", G_CALLBACK (on_handle_answer), call);
  g_signal_connect (iface, "handle-reject", G_CALLBACK (on_handle_reject), call);
  g_signal_connect (iface, "handle-hangup", G_CALLBACK (on_handle_hangup), call);
  g_signal_connect (iface, "handle-hold", G_CALLBACK (on_handle_hold), call);
  g_signal_connect (iface, "handle-resume", G_CALLBACK (on_handle_resume), call);
}
