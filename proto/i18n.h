/*
 * i18n.h - every message a person reads goes through _() so that the
 * Indonesian translation can be added without touching call sites.
 * N_() marks a string for extraction where it is translated later
 * (e.g. sp_strerror's table, translated when printed).
 */
#ifndef SP_I18N_H
#define SP_I18N_H

#include <libintl.h>

#define _(s)  gettext(s)
#define N_(s) (s)

#endif
