/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "kl-dns-message"

#include "kl-dns-message.h"

#include <string.h>

#include "kl-bytes.h"

#define HEADER_SIZE 12
#define FIXED_RR_SIZE 10 /* type, class, TTL, rdlength */
#define MAX_LABEL 63
#define MAX_NAME_TEXT 253 /* without the final dot */
#define MAX_NAME_WIRE 255
#define MAX_POINTERS 128 /* one per label and one more; a loop is caught before this */
#define EDNS_UDP_SIZE 1232

#define FLAG_QR 0x8000
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define RCODE_MASK 0x000f
#define CLASS_IN 1
#define TYPE_OPT 41

G_DEFINE_QUARK (kl-dns-error-quark, kl_dns_error)

typedef enum {
  SECTION_ANSWER,
  SECTION_AUTHORITY,
  SECTION_ADDITIONAL,
} Section;

static const char *const section_names[] = { "answer", "authority", "additional" };

typedef struct {
  const guint8 *data;
  gsize length;
  gsize offset;        /* of the next record */
  const char *problem; /* why the message does not parse */
  gboolean cut_short;  /* the problem is that the message ends too early */
} Parser;

static void
append16 (GByteArray *out, guint16 v)
{
  guint8 bytes[2] = { v >> 8, v & 0xff };

  g_byte_array_append (out, bytes, sizeof bytes);
}

static gboolean
fail (Parser *p, const char *problem)
{
  p->problem = problem;
  return FALSE;
}

static gboolean
fail_short (Parser *p, const char *problem)
{
  p->cut_short = TRUE;
  return fail (p, problem);
}

/* Lower case, in the master-file notation of RFC 1035 §5.1 where a byte would
 * be ambiguous or unprintable: "\." for a dot inside a label, "\\", "\DDD". */
static void
append_text (GString *out, const guint8 *bytes, gsize length, gboolean label)
{
  for (gsize i = 0; i < length; i++) {
    guint8 c = (guint8) g_ascii_tolower ((gchar) bytes[i]);

    if (c <= 0x20 || c >= 0x7f)
      g_string_append_printf (out, "\\%03u", c);
    else if (c == '\\' || (label && c == '.'))
      g_string_append_printf (out, "\\%c", c);
    else
      g_string_append_c (out, (gchar) c);
  }
}

/* The name at *offset, which moves past it: past the first compression pointer
 * when there is one. Every pointer must point before the labels that lead to
 * it, so a chain of pointers always ends. */
static gboolean
read_name (Parser *p, gsize *offset, char **ret_name)
{
  g_autoptr (GString) name = g_string_new (NULL);
  gsize pos = *offset;
  gsize run_start = pos; /* the labels being read begin here */
  gsize highest = pos;   /* the last byte of this name read so far */
  gsize end = 0;
  guint wire_length = 1; /* the root label */
  guint pointers = 0;

  for (;;) {
    guint8 length;

    if (pos >= p->length)
      return fail_short (p, "name runs past the end");
    length = p->data[pos];
    if (length == 0)
      break;
    if ((length & 0xc0) == 0xc0) {
      gsize target;

      if (pos + 2 > p->length)
        return fail_short (p, "name runs past the end");
      target = (gsize) (length & 0x3f) << 8 | p->data[pos + 1];
      highest = MAX (highest, pos + 1);
      if (target >= p->length)
        return fail (p, "compression pointer past the end");
      if (target >= run_start)
        return fail (p, target <= highest ? "compression loop" : "compression pointer points forward");
      if (++pointers > MAX_POINTERS)
        return fail (p, "too many compression pointers");
      if (end == 0)
        end = pos + 2;
      pos = run_start = target;
      continue;
    }
    if ((length & 0xc0) == 0x40)
      return fail (p, "label over 63 bytes (label type 01)");
    if ((length & 0xc0) == 0x80)
      return fail (p, "unknown label type 10");
    wire_length += 1 + length;
    if (wire_length > MAX_NAME_WIRE)
      return fail (p, "name over 255 bytes");
    if (pos + 1 + length > p->length)
      return fail_short (p, "name runs past the end");
    if (name->len > 0)
      g_string_append_c (name, '.');
    append_text (name, p->data + pos + 1, length, TRUE);
    pos += 1 + length;
    highest = MAX (highest, pos - 1);
  }
  *offset = end != 0 ? end : pos + 1;
  *ret_name = g_string_free (g_steal_pointer (&name), FALSE);
  return TRUE;
}

/* A <character-string> of RFC 1035 §3.3 inside the rdata that ends at end. */
static gboolean
read_string (Parser *p, gsize *offset, gsize end, char **ret_text)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gsize length;

  if (*offset >= end)
    return fail (p, "character-string runs past its rdata");
  length = p->data[*offset];
  if (*offset + 1 + length > end)
    return fail (p, "character-string runs past its rdata");
  append_text (text, p->data + *offset + 1, length, FALSE);
  *offset += 1 + length;
  *ret_text = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}

static gboolean
read_rdata (Parser *p, KlDnsRecord *record, gsize start, gsize rdlength)
{
  const guint8 *rdata = p->data + start;
  gsize end = start + rdlength;
  gsize pos = start;
  g_autofree char *ignored = NULL;

  switch (record->type) {
  case KL_DNS_TYPE_A:
    if (rdlength != 4)
      return fail (p, "A record with an rdlength other than 4");
    record->address = g_inet_address_new_from_bytes (rdata, G_SOCKET_FAMILY_IPV4);
    return TRUE;
  case KL_DNS_TYPE_AAAA:
    if (rdlength != 16)
      return fail (p, "AAAA record with an rdlength other than 16");
    record->address = g_inet_address_new_from_bytes (rdata, G_SOCKET_FAMILY_IPV6);
    return TRUE;
  case KL_DNS_TYPE_CNAME:
    if (!read_name (p, &pos, &record->target))
      return FALSE;
    break;
  case KL_DNS_TYPE_SRV:
    if (rdlength < 6)
      return fail (p, "SRV rdata shorter than its fields");
    record->priority = kl_read_be16 (rdata);
    record->weight = kl_read_be16 (rdata + 2);
    record->port = kl_read_be16 (rdata + 4);
    pos += 6;
    /* RFC 2782 forbids compressing the target; servers do it all the same */
    if (!read_name (p, &pos, &record->target))
      return FALSE;
    break;
  case KL_DNS_TYPE_NAPTR:
    if (rdlength < 4)
      return fail (p, "NAPTR rdata shorter than its fields");
    record->order = kl_read_be16 (rdata);
    record->preference = kl_read_be16 (rdata + 2);
    pos += 4;
    if (!read_string (p, &pos, end, &record->flags) || !read_string (p, &pos, end, &record->service) ||
        !read_string (p, &pos, end, &ignored) || !read_name (p, &pos, &record->target))
      return FALSE;
    break;
  case KL_DNS_TYPE_SOA:
    if (!read_name (p, &pos, &record->target) || !read_name (p, &pos, &ignored))
      return FALSE;
    if (pos + 20 > end)
      return fail (p, "SOA rdata shorter than its fields");
    record->soa_minimum = kl_read_be32 (p->data + pos + 16);
    pos += 20;
    break;
  }
  if (pos != end)
    return fail (p, "rdata does not match its rdlength");
  return TRUE;
}

static gboolean
section_keeps (Section section, guint16 type)
{
  switch (section) {
  case SECTION_ANSWER:
    return type == KL_DNS_TYPE_A || type == KL_DNS_TYPE_AAAA || type == KL_DNS_TYPE_CNAME ||
           type == KL_DNS_TYPE_SRV || type == KL_DNS_TYPE_NAPTR || type == KL_DNS_TYPE_SOA;
  case SECTION_AUTHORITY:
    return type == KL_DNS_TYPE_SOA;
  case SECTION_ADDITIONAL:
    return type == KL_DNS_TYPE_A || type == KL_DNS_TYPE_AAAA;
  }
  g_return_val_if_reached (FALSE);
}

static gboolean
read_record (Parser *p, Section section, GPtrArray *records)
{
  g_autoptr (KlDnsRecord) record = g_new0 (KlDnsRecord, 1);
  const guint8 *fixed;
  guint16 type;
  guint32 ttl;
  gsize rdlength;

  if (p->offset >= p->length)
    return fail_short (p, "record runs past the end");
  if (!read_name (p, &p->offset, &record->name))
    return FALSE;
  if (p->length - p->offset < FIXED_RR_SIZE)
    return fail_short (p, "record runs past the end");
  fixed = p->data + p->offset;
  type = kl_read_be16 (fixed);
  ttl = kl_read_be32 (fixed + 4);
  rdlength = kl_read_be16 (fixed + 8);
  p->offset += FIXED_RR_SIZE;
  if (p->length - p->offset < rdlength)
    return fail_short (p, "record runs past the end");
  p->offset += rdlength;

  if (kl_read_be16 (fixed + 2) != CLASS_IN || !section_keeps (section, type))
    return TRUE;
  record->type = type;
  record->ttl = ttl & 0x80000000u ? 0 : ttl; /* RFC 2181 §8 */
  if (!read_rdata (p, record, p->offset - rdlength, rdlength))
    return FALSE;
  g_ptr_array_add (records, g_steal_pointer (&record));
  return TRUE;
}

KlDnsMessage *
kl_dns_message_parse (const guint8 *data, gsize length, GError **error)
{
  g_autoptr (KlDnsMessage) message = NULL;
  Parser p = { data, length, HEADER_SIZE, NULL, FALSE };
  guint16 flags;
  guint16 questions;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length < HEADER_SIZE) {
    g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED,
                 "message of %" G_GSIZE_FORMAT " bytes, shorter than its header", length);
    return NULL;
  }
  message = g_new0 (KlDnsMessage, 1);
  flags = kl_read_be16 (data + 2);
  message->id = kl_read_be16 (data);
  message->response = (flags & FLAG_QR) != 0;
  message->truncated = (flags & FLAG_TC) != 0;
  message->rcode = flags & RCODE_MASK;
  message->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
  message->authority = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);
  message->additional = g_ptr_array_new_with_free_func ((GDestroyNotify) kl_dns_record_free);

  questions = kl_read_be16 (data + 4);
  if (questions > 1) {
    g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED, "%u questions, where one is the most", questions);
    return NULL;
  }
  if (questions == 1) {
    if (read_name (&p, &p.offset, &message->question_name) && length - p.offset < 4)
      fail (&p, "type and class run past the end");
    if (p.problem != NULL) {
      g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED, "question: %s", p.problem);
      return NULL;
    }
    message->question_type = kl_read_be16 (data + p.offset);
    p.offset += 4;
  }

  for (Section section = SECTION_ANSWER; section <= SECTION_ADDITIONAL; section++) {
    GPtrArray *records = section == SECTION_ANSWER      ? message->answers
                         : section == SECTION_AUTHORITY ? message->authority
                                                        : message->additional;
    guint count = kl_read_be16 (data + 6 + 2 * section);

    for (guint i = 0; i < count; i++) {
      if (read_record (&p, section, records))
        continue;
      /* A truncated answer may be cut anywhere; what matters is that it says so. */
      if (message->truncated && p.cut_short)
        return g_steal_pointer (&message);
      g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_MALFORMED, "%s %u: %s", section_names[section], i + 1, p.problem);
      return NULL;
    }
  }
  return g_steal_pointer (&message);
}

GBytes *
kl_dns_query_new (guint16 id, const char *name, KlDnsType type, GError **error)
{
  g_autoptr (GByteArray) query = NULL;
  const char *end;
  gsize length;

  g_return_val_if_fail (name != NULL, NULL);

  length = strlen (name);
  if (length > 0 && name[length - 1] == '.')
    length--;
  end = name + length;
  if (length == 0) {
    g_set_error_literal (error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME, "empty name");
    return NULL;
  }
  if (length > MAX_NAME_TEXT) {
    g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME, "\"%s\": %" G_GSIZE_FORMAT " bytes, over 253",
                 name, length);
    return NULL;
  }

  query = g_byte_array_sized_new (HEADER_SIZE + length + 2 + 4 + 11);
  append16 (query, id);
  append16 (query, FLAG_RD);
  append16 (query, 1); /* question */
  append16 (query, 0); /* answer */
  append16 (query, 0); /* authority */
  append16 (query, 1); /* additional: OPT */
  for (const char *label = name; label <= end;) {
    const char *dot = memchr (label, '.', end - label);
    gsize label_length = (dot != NULL ? dot : end) - label;
    guint8 byte = (guint8) label_length;

    if (label_length == 0 || label_length > MAX_LABEL) {
      g_set_error (error, KL_DNS_ERROR, KL_DNS_ERROR_INVALID_NAME, "\"%s\": %s", name,
                   label_length == 0 ? "empty label" : "label over 63 bytes");
      return NULL;
    }
    g_byte_array_append (query, &byte, 1);
    g_byte_array_append (query, (const guint8 *) label, (guint) label_length);
    label += label_length + 1;
  }
  g_byte_array_append (query, (const guint8 *) "", 1);
  append16 (query, type);
  append16 (query, CLASS_IN);

  /* EDNS0 OPT (RFC 6891): root name, the UDP payload size in the class, no
   * extended flags, no options; 1232 bytes fit any path without fragments */
  g_byte_array_append (query, (const guint8 *) "", 1);
  append16 (query, TYPE_OPT);
  append16 (query, EDNS_UDP_SIZE);
  append16 (query, 0);
  append16 (query, 0);
  append16 (query, 0);
  return g_byte_array_free_to_bytes (g_steal_pointer (&query));
}

void
kl_dns_record_free (KlDnsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_clear_object (&record->address);
  g_free (record->flags);
  g_free (record->service);
  g_free (record->target);
  g_free (record);
}

KlDnsRecord *
kl_dns_record_copy (const KlDnsRecord *record)
{
  KlDnsRecord *copy;

  if (record == NULL)
    return NULL;
  copy = g_memdup2 (record, sizeof *record);
  copy->name = g_strdup (record->name);
  copy->address = record->address != NULL ? g_object_ref (record->address) : NULL;
  copy->flags = g_strdup (record->flags);
  copy->service = g_strdup (record->service);
  copy->target = g_strdup (record->target);
  return copy;
}

/* DNS names, flags and services are all compared without regard to case. */
static gboolean
same_text (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_ascii_strcasecmp (a, b) == 0;
}

gboolean
kl_dns_record_equal (const KlDnsRecord *a, const KlDnsRecord *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->address == NULL || b->address == NULL) {
    if (a->address != b->address)
      return FALSE;
  } else if (!g_inet_address_equal (a->address, b->address)) {
    return FALSE;
  }
  return a->type == b->type && a->ttl == b->ttl && a->priority == b->priority && a->weight == b->weight &&
         a->port == b->port && a->order == b->order && a->preference == b->preference &&
         a->soa_minimum == b->soa_minimum && same_text (a->name, b->name) && same_text (a->flags, b->flags) &&
         same_text (a->service, b->service) && same_text (a->target, b->target);
}

void
kl_dns_message_free (KlDnsMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->question_name);
  g_clear_pointer (&message->answers, g_ptr_array_unref);
  g_clear_pointer (&message->authority, g_ptr_array_unref);
  g_clear_pointer (&message->additional, g_ptr_array_unref);
  g_free (message);
}

const char *
kl_dns_type_to_string (KlDnsType type)
{
  switch (type) {
  case KL_DNS_TYPE_A:
    return "A";
  case KL_DNS_TYPE_CNAME:
    return "CNAME";
  case KL_DNS_TYPE_SOA:
    return "SOA";
  case KL_DNS_TYPE_AAAA:
    return "AAAA";
  case KL_DNS_TYPE_SRV:
    return "SRV";
  case KL_DNS_TYPE_NAPTR:
    return "NAPTR";
  }
  return "other";
}

const char *
kl_dns_rcode_to_string (KlDnsRcode rcode)
{
  switch (rcode) {
  case KL_DNS_RCODE_NOERROR:
    return "NOERROR";
  case KL_DNS_RCODE_FORMERR:
    return "FORMERR";
  case KL_DNS_RCODE_SERVFAIL:
    return "SERVFAIL";
  case KL_DNS_RCODE_NXDOMAIN:
    return "NXDOMAIN";
  case KL_DNS_RCODE_NOTIMP:
    return "NOTIMP";
  case KL_DNS_RCODE_REFUSED:
    return "REFUSED";
  }
  return "other";
}
