/*
 * fuzz_report.c - a report's control replies (proto/report.c) read from
 * arbitrary bytes, as simpul reads what simpuld sends: frames one after
 * another, the header, the columns, the final frame. A report read whole
 * packs into frames that read back to the same report (packed again, the
 * same bytes), and every format writes it (ADX may refuse it, with why).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "report.h"
#include "report_format.h"
#include "sp_err.h"

/* Reads the frames of data as a report; *out NULL unless it reads whole. */
static void
read_frames(const uint8_t *data, size_t size, sp_report **out)
{
	sp_report *r = NULL;
	size_t at = 0;
	uint32_t len;
	sp_ctl_msg m;
	int err = 0;

	*out = NULL;
	while (err == 0 && at + SP_CTL_HDR_BYTES <= size) {
		if (sp_ctl_frame_len(data + at, &len) != 0 || len > size - at - SP_CTL_HDR_BYTES ||
		    sp_ctl_decode_reply(data + at + SP_CTL_HDR_BYTES, len, &m) != 0)
			break;
		at += SP_CTL_HDR_BYTES + len;
		if (r == NULL) {
			err = sp_report_read_header(&m, &r);
		} else if (m.status == SP_CTL_MORE) {
			err = sp_report_read_column(r, &m);
		} else {
			if (sp_report_read_end(r, &m) == 0 && at == size) {
				*out = r;
				return;
			}
			break;
		}
	}
	sp_report_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	enum sp_report_format fmt;
	sp_report *r, *back;
	sp_buf once, twice;
	char detail[256];
	FILE *null;
	int err;

	CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	read_frames(copy, size, &r);
	if (r != NULL) {
		sp_buf_init(&once);
		sp_buf_init(&twice);
		CHECK(sp_report_pack(r, &once) == 0);
		read_frames(once.data, once.len, &back);
		CHECK(back != NULL);
		CHECK(sp_report_pack(back, &twice) == 0);
		CHECK(once.len == twice.len && memcmp(once.data, twice.data, once.len) == 0);
		CHECK((null = fopen("/dev/null", "w")) != NULL);
		for (fmt = SP_REPORT_TABLE; fmt <= SP_REPORT_ADX; fmt++) {
			err = sp_report_write(null, r, fmt, 0, detail, sizeof(detail));
			CHECK(err == 0 || (fmt == SP_REPORT_ADX && err == SP_EINVAL && detail[0] != '\0'));
		}
		fclose(null);
		sp_report_free(back);
		sp_buf_free(&twice);
		sp_buf_free(&once);
		sp_report_free(r);
	}
	free(copy);
	return 0;
}
