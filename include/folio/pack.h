/* folio/pack.h: the pack of a portfolio: one self-contained HTML page to read it as pinned. */
#ifndef FOLIO_PACK_H
#define FOLIO_PACK_H

#include <stddef.h>
#include "common.h"
#include "site.h"

/* The pack of one portfolio: one self-contained HTML page (malloc'd, NUL-terminated; *len may be
 * NULL). target: a submission id in decimal ("12") or a mentor id; for a mentor, their latest
 * submission's pinned commit, or main's tip when they never submitted. Who may read it: the mentor
 * themself, reviewers assigned to that submission, leads and admins. */
int folio_pack_render(char **html, size_t *len, folio_site *site, const char *target);

#endif
