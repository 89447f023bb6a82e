/* jmap_submission.h: the JMAP submission methods (RFC 8621 6-7:
   Identity, EmailSubmission). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_JMAP_SUBMISSION_H
#define BUZON_JMAP_SUBMISSION_H

#include <jansson.h>

#include "web/jmap.h"

/* The method table (jmap_core.c searches it). */
extern const struct jmap_method jmap_submission_methods[];
/* The urn:ietf:params:jmap:submission capability object (RFC 8621
   1.3.2), new reference. */
json_t *jmap_submission_capability(void);

jmap_method_fn jmap_identity_get, jmap_identity_changes, jmap_identity_set;
jmap_method_fn jmap_submission_get, jmap_submission_changes,
    jmap_submission_query, jmap_submission_set;

#endif
