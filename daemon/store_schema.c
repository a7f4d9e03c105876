/*
 * store_schema.c - the store's schema version: its history (the
 * migrations from each older version), what sp_store_open does with a
 * store of another version, and the message that says so. The rule and
 * the history are in docs/STORE.md.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>

#include "i18n.h"
#include "sp_err.h"
#include "store_int.h"

/*
 * Schema 1 is the first: there is nothing to migrate from yet. A change to
 * the tables' layout bumps SP_STORE_SCHEMA and adds here the migration
 * from the version before, { SP_STORE_SCHEMA - 1, function }, which must
 * bring every table to the new layout (an index it adds is filled from
 * the records, never left empty).
 */
const sp_store_schema sp_store_schema_current = { SP_STORE_SCHEMA, NULL, 0 };

/* The migration of schema that starts from version from, or NULL. */
static const sp_store_migration *
migration_from(const sp_store_schema *schema, uint64_t from)
{
	size_t i;

	for (i = 0; i < schema->migration_count; i++)
		if (schema->migrations[i].from == from)
			return &schema->migrations[i];
	return NULL;
}

/* The oldest version that schema's migrations lead from to schema->version. */
static uint64_t
oldest_upgradable(const sp_store_schema *schema)
{
	uint64_t v = schema->version;

	while (v > 0 && migration_from(schema, v - 1) != NULL)
		v--;
	return v;
}

/*
 * The schema recorded in the environment, read without writing:
 * SP_ENOTFOUND for a fresh one (no meta table yet). A store always has its
 * schema: it is written at creation.
 */
static int
schema_read(sp_kv *kv, uint64_t *version)
{
	sp_kv_txn *t;
	int r;

	*version = 0;
	if ((r = sp_kv_txn_begin(kv, false, &t)) != 0)
		return r;
	if ((r = sp_kv_table_open(t, SP_TABLE_META)) == 0)
		r = sp_store_must_exist(sp_store_meta_read(t, SP_META_SCHEMA, version));
	sp_kv_txn_abort(t);
	return r;
}

/* Runs every migration from version found up to schema->version, in t. */
static int
migrate(sp_txn *t, const sp_store_schema *schema, uint64_t found)
{
	const sp_store_migration *m;
	uint64_t v;
	int r;

	for (v = found; v < schema->version; v++) {
		if ((m = migration_from(schema, v)) == NULL)
			return SP_ESCHEMA_OLD;
		if ((r = m->run(t)) != 0)
			return r;
	}
	return 0;
}

int
sp_store_schema_open(sp_store *s, const sp_store_schema *schema)
{
	sp_txn *t = NULL;
	uint64_t found;
	bool fresh = false;
	int r;

	/*
	 * Read-only first, so that a store this code must refuse is left
	 * byte for byte as it was.
	 */
	r = schema_read(s->kv, &found);
	if (r == SP_ENOTFOUND)
		fresh = true;
	else if (r != 0)
		return r;
	if (!fresh && found > schema->version)
		return SP_ESCHEMA;
	if (!fresh && found < oldest_upgradable(schema))
		return SP_ESCHEMA_OLD;

	/*
	 * One write transaction creates the tables, runs the migrations and
	 * records the new version: if any step fails, none happened, and
	 * the store is never seen with a new table still empty.
	 */
	if ((r = sp_txn_begin(s, true, &t)) != 0)
		return r;
	if ((r = sp_kv_tables_create(t->kv)) != 0)
		goto out;
	if (fresh || found < schema->version) {
		if (!fresh && (r = migrate(t, schema, found)) != 0)
			goto out;
		if ((r = sp_store_meta_write(t->kv, SP_META_SCHEMA, schema->version)) != 0)
			goto out;
	}
	r = sp_txn_commit(t);
	t = NULL;
out:
	sp_txn_abort(t);
	return r;
}

void
sp_store_explain_schema(char *out, size_t size, const char *dir, int err,
    const sp_store_schema *schema)
{
	sp_kv_config cfg;
	sp_kv *kv;
	uint64_t found = 0, oldest = oldest_upgradable(schema);
	int r;

	/* Read-only: the data file stays as it is. */
	sp_store_kv_config(&cfg, 0, true);
	if ((r = sp_kv_open(dir, &cfg, &kv)) == 0) {
		r = schema_read(kv, &found);
		sp_kv_close(kv);
	}
	if (r != 0 || found == schema->version)
		snprintf(out, size, "%s", sp_strerror(err));
	else if (found > schema->version)
		snprintf(out, size, _("the store in %s has schema %" PRIu64 ", written by a "
		    "newer simpul; this one reads schema %" PRIu64 " and older: upgrade simpul"),
		    dir, found, schema->version);
	else if (found < oldest)
		snprintf(out, size, _("the store in %s has schema %" PRIu64 ", which this "
		    "simpul (schema %" PRIu64 ") cannot upgrade: it upgrades schema %" PRIu64
		    " and later. Open it once with an older simpul release that upgrades "
		    "it, then with this one"), dir, found, schema->version, oldest);
	else
		snprintf(out, size, _("upgrading the store in %s from schema %" PRIu64
		    " to %" PRIu64 " failed: %s; nothing was changed, it still has schema %"
		    PRIu64), dir, found, schema->version, sp_strerror(err), found);
}

void
sp_store_explain(char *out, size_t size, const char *dir, int err)
{
	sp_store_explain_schema(out, size, dir, err, &sp_store_schema_current);
}
