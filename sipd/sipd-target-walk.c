/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipd-target-walk.h"

struct _SipdTargetWalk {
  KlClock *clock;
  guint scale_percent;
  KlSipTargets *targets; /* NULL until a lookup gave some */
  guint current;
  GHashTable *skipped; /* "address port" -> until when, ms */
  guint16 below_priority; /* only targets of an SRV priority below this; 0 = all */
  char *first;            /* "address port": where the next walk starts, once */
};

static char *
key_of (const KlSipTarget *target)
{
  g_autofree char *address = g_inet_address_to_string (target->address);

  return g_strdup_printf ("%s %u", address, target->port);
}

SipdTargetWalk *
sipd_target_walk_new (KlClock *clock, guint scale_percent)
{
  SipdTargetWalk *self = g_new0 (SipdTargetWalk, 1);

  self->clock = kl_clock_ref (clock);
  self->scale_percent = scale_percent;
  self->skipped = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
sipd_target_walk_free (SipdTargetWalk *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->targets, kl_sip_targets_free);
  g_hash_table_unref (self->skipped);
  g_free (self->first);
  kl_clock_unref (self->clock);
  g_free (self);
}

static gboolean
is_skipped (SipdTargetWalk *self, guint index)
{
  g_autofree char *key = key_of (g_ptr_array_index (self->targets->targets, index));
  const gint64 *until = g_hash_table_lookup (self->skipped, key);

  return until != NULL && *until > kl_clock_now_ms (self->clock);
}

/* The target start_at() named, when the targets have it: once. */
static gboolean
start_at_first (SipdTargetWalk *self)
{
  g_autofree char *first = g_steal_pointer (&self->first);

  for (guint i = 0; i < self->targets->targets->len; i++) {
    g_autofree char *key = key_of (g_ptr_array_index (self->targets->targets, i));

    if (g_str_equal (key, first)) {
      self->current = i;
      return TRUE;
    }
  }
  return FALSE;
}

void
sipd_target_walk_restart (SipdTargetWalk *self)
{
  self->current = 0;
  if (self->targets != NULL && self->first != NULL && start_at_first (self))
    return;
  for (guint i = 0; self->targets != NULL && i < self->targets->targets->len; i++) {
    if (!is_skipped (self, i)) {
      self->current = i;
      return;
    }
  }
}

/* The targets the walk may use: all, or those of a better priority. */
static KlSipTargets *
kept (SipdTargetWalk *self, const KlSipTargets *targets)
{
  KlSipTargets *copy = kl_sip_targets_copy (targets);

  for (guint i = copy->targets->len; self->below_priority > 0 && i-- > 0;) {
    if (((KlSipTarget *) g_ptr_array_index (copy->targets, i))->priority >= self->below_priority)
      g_ptr_array_remove_index (copy->targets, i);
  }
  return copy;
}

void
sipd_target_walk_set (SipdTargetWalk *self, const KlSipTargets *targets)
{
  g_autoptr (KlSipTargets) copy = kept (self, targets);

  if (self->targets != NULL && kl_sip_targets_equal (self->targets, copy) && self->first == NULL)
    return;
  g_clear_pointer (&self->targets, kl_sip_targets_free);
  self->targets = g_steal_pointer (&copy);
  sipd_target_walk_restart (self);
}

void
sipd_target_walk_keep_below (SipdTargetWalk *self, guint16 priority)
{
  self->below_priority = priority;
}

void
sipd_target_walk_start_at (SipdTargetWalk *self, const KlSipTarget *target)
{
  g_free (self->first);
  self->first = key_of (target);
  g_hash_table_remove (self->skipped, self->first);
  if (self->targets != NULL)
    sipd_target_walk_restart (self);
}

const KlSipTargets *
sipd_target_walk_get_targets (SipdTargetWalk *self)
{
  return self->targets;
}

gboolean
sipd_target_walk_is_empty (SipdTargetWalk *self)
{
  return self->targets == NULL || self->targets->targets->len == 0;
}

const KlSipTarget *
sipd_target_walk_current (SipdTargetWalk *self)
{
  if (sipd_target_walk_is_empty (self) || self->current >= self->targets->targets->len)
    return NULL;
  return g_ptr_array_index (self->targets->targets, self->current);
}

void
sipd_target_walk_fail (SipdTargetWalk *self, guint retry_after_s)
{
  const KlSipTarget *target = sipd_target_walk_current (self);
  gint64 skip_ms = retry_after_s > 0 ? (gint64) retry_after_s * 1000
                                     : (gint64) SIPD_TARGET_WALK_SKIP_S * 1000 * self->scale_percent / 100;

  if (target != NULL)
    g_hash_table_insert (self->skipped, key_of (target),
                         g_memdup2 (&(gint64) { kl_clock_now_ms (self->clock) + skip_ms }, sizeof (gint64)));
}

gboolean
sipd_target_walk_next (SipdTargetWalk *self)
{
  if (sipd_target_walk_is_empty (self) || self->current + 1 >= self->targets->targets->len)
    return FALSE;
  self->current++;
  return TRUE;
}
