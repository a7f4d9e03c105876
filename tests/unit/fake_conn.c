/*
 * fake_conn.c - conn.h without sockets (see fake_conn.h).
 */
#include "fake_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_err.h"
#include "wire.h"

sp_conn *
fake_conn_open(const sp_conn_handlers *h, bool initiator, const sp_peer_policy *pol,
    sp_peer_stats *stats)
{
	sp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->h = h;
	c->initiator = initiator;
	c->pol = *pol;
	c->stats = stats;
	c->state = SP_PEER_CONNECTING;
	if ((c->upper = h->established(h->arg, c)) == NULL) {
		c->closed = true;
		fake_conn_free(c);
		return NULL;
	}
	return c;
}

bool
fake_conn_deliver(sp_conn *c, const sp_buf *msg)
{
	if (c->closed || c->paused || c->pending >= SP_CONN_OUT_BUDGET)
		return false;
	c->stats->bytes_in += msg->len;
	c->h->message(c->upper, msg->data, msg->len);
	return true;
}

void
fake_conn_drain(sp_conn *c)
{
	c->pending = 0;
	if (!c->closed)
		c->h->drained(c->upper);
}

static void
close_now(sp_conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	c->state = SP_PEER_IDLE;
	c->h->closed(c->upper);
	c->upper = NULL;
}

void
fake_conn_cut(sp_conn *c)
{
	close_now(c);
}

void
fake_conn_free(sp_conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	close_now(c);
	for (i = 0; i < c->nsent; i++)
		sp_buf_free(&c->sent[i]);
	free(c->sent);
	free(c);
}

/* conn.h */

int
sp_conn_send(sp_conn *c, const sp_buf *msg)
{
	sp_buf *v;

	if (c->closed)
		return SP_EDISCONNECTED;
	if (msg->err != 0)
		return msg->err;
	if (msg->len == 0 || msg->len > SP_WIRE_MSG_MAX)
		return SP_ETOOBIG;
	if (c->nsent == c->capsent) {
		c->capsent = c->capsent != 0 ? c->capsent * 2 : 64;
		if ((v = realloc(c->sent, c->capsent * sizeof(*v))) == NULL)
			return SP_ENOMEM;
		c->sent = v;
	}
	sp_buf_init(&c->sent[c->nsent]);
	sp_buf_append(&c->sent[c->nsent], msg->data, msg->len);
	if (c->sent[c->nsent].err != 0)
		return SP_ENOMEM;
	c->nsent++;
	c->stats->bytes_out += msg->len;
	if (c->stalled)
		c->pending += msg->len;
	return 0;
}

size_t
sp_conn_pending(const sp_conn *c)
{
	return c->pending;
}

void
sp_conn_pause(sp_conn *c, bool paused)
{
	c->paused = paused;
}

void
sp_conn_close(sp_conn *c, int code, const char *why)
{
	if (c->closed)
		return;
	c->close_code = code;
	snprintf(c->close_why, sizeof(c->close_why), "%s", why);
	snprintf(c->stats->last_error, sizeof(c->stats->last_error), "closing: %s", why);
	close_now(c);
}

bool
sp_conn_initiator(const sp_conn *c)
{
	return c->initiator;
}

const sp_peer_policy *
sp_conn_policy(const sp_conn *c)
{
	return &c->pol;
}

sp_peer_stats *
sp_conn_stats(sp_conn *c)
{
	return c->stats;
}

void
sp_conn_set_state(sp_conn *c, enum sp_peer_state s)
{
	if (!c->closed)
		c->state = s;
}
