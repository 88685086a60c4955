/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any bytes as a DNS answer. The parser refuses or parses,
 * never reads out of bounds; what it parses copies to an equal record, and a
 * question it read can be asked again and read back. */
#include <string.h>

#include "kl-dns-message.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
check_records (GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++) {
    const KlDnsRecord *record = g_ptr_array_index (records, i);
    g_autoptr (KlDnsRecord) copy = kl_dns_record_copy (record);

    g_assert (kl_dns_record_equal (record, copy));
    g_assert (record->name != NULL);
    (void) kl_dns_type_to_string (record->type);
  }
}

static void
ask_again (const KlDnsMessage *message)
{
  g_autoptr (GBytes) query = kl_dns_query_new (message->id, message->question_name, message->question_type, NULL);
  g_autoptr (KlDnsMessage) parsed = NULL;
  g_autoptr (GError) error = NULL;

  if (query == NULL)
    return; /* the root, or a name escaped past 253 bytes */
  parsed = kl_dns_message_parse (g_bytes_get_data (query, NULL), g_bytes_get_size (query), &error);
  g_assert_no_error (error);
  g_assert (parsed->id == message->id && parsed->question_type == message->question_type);
  if (strchr (message->question_name, '\\') == NULL)
    g_assert (g_str_equal (parsed->question_name, message->question_name));
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr (KlDnsMessage) message = kl_dns_message_parse (data, size, NULL);

  if (message == NULL)
    return 0;
  (void) kl_dns_rcode_to_string (message->rcode);
  check_records (message->answers);
  check_records (message->authority);
  check_records (message->additional);
  if (message->question_name != NULL)
    ask_again (message);
  return 0;
}
