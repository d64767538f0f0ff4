/* gs1__ident.h -- what gs1_ident.c lends gs1_key.c: its EPC URN readers with
 * parser flags (GS1_NO_CHECK_DIGITS for the event hash).  Private to gs1/. */
#ifndef KETEN_GS1__IDENT_H
#define KETEN_GS1__IDENT_H

#include <stddef.h>

#include "gs1_ai.h"
#include "gs1_error.h"

/* gs1_ident_urn_to_ai() with flags. */
int gs1__urn_to_ai(const char *urn, size_t len, unsigned flags, gs1_ai_list_t *out, int *gcp_length,
                   gs1_err_t *err);

/* An EPC pattern URN (urn:epc:idpat:...) to the one field of its class key:
 * 0, GS1_ENOTFOUND (a valid pattern of no one key: coarser than the class,
 * or a scheme without class key), GS1_EINPUT (malformed). */
int gs1__idpat_to_ai(const char *s, size_t sn, unsigned flags, gs1_ai_list_t *l, gs1_err_t *err);

#endif
