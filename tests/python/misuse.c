/* ABI misuse from C, under valgrind: every wrong call gets its code and touches no memory it
 * should not. Exits 0 when every expectation holds; prints the first that does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ipsecauto.h>

static int failures;

#define EXPECT(call, want)                                                                   \
	do {                                                                                 \
		int got_ = (int)(call);                                                      \
		if (got_ != (int)(want)) {                                                   \
			fprintf(stderr, "%s:%d: %s gave %s, want %s\n", __FILE__, __LINE__,  \
				#call, ipsecauto_result_name(got_), ipsecauto_result_name(want)); \
			failures++;                                                          \
		}                                                                            \
	} while (0)

static int refuse(void *userdata, unsigned int rc, const char *text)
{
	(void)userdata;
	(void)rc;
	(void)text;
	return -5;
}

static int decline(void *userdata, ipsecauto_prompt prompt, char *buf, size_t size)
{
	(void)userdata;
	(void)prompt;
	/* Fills the buffer without a NUL: the library must not read past it. */
	memset(buf, 'x', size);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CTLSOCKET XAUTH_CTLSOCKET\n", argv[0]);
		return 2;
	}
	int status = 0;
	ipsecauto_session *s = NULL;
	ipsecauto_op *op = NULL;
	ipsecauto_diagnostics *d = NULL;

	/* NULL everywhere. */
	EXPECT(ipsecauto_session_new(NULL), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_status(NULL, &status), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_up(NULL, "west", NULL), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_op_advance(NULL), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_op_fd(NULL), -1);
	EXPECT(ipsecauto_session_free(NULL), IPSECAUTO_OK);
	EXPECT(ipsecauto_op_free(NULL), IPSECAUTO_OK);
	EXPECT(ipsecauto_diagnostics_count(NULL), 0);
	if (ipsecauto_session_errmsg(NULL) == NULL || ipsecauto_op_errmsg(NULL) == NULL)
		failures++;

	EXPECT(ipsecauto_session_new(&s), IPSECAUTO_OK);
	EXPECT(ipsecauto_session_set_ctl_socket(s, argv[1]), IPSECAUTO_OK);
	EXPECT(ipsecauto_session_set_config_text(s, NULL, NULL), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_op_start(s, IPSECAUTO_OP_STATUS, NULL, NULL), IPSECAUTO_NULL_ARGUMENT);
	EXPECT(ipsecauto_check(s, NULL), IPSECAUTO_NULL_ARGUMENT);

	/* Invalid UTF-8, unknown operations, missing and extra names. */
	EXPECT(ipsecauto_up(s, "we\xffst", &status), IPSECAUTO_INVALID_UTF8);
	EXPECT(ipsecauto_session_set_remote_host(s, "\xc3"), IPSECAUTO_INVALID_UTF8);
	EXPECT(ipsecauto_run(s, 12345, NULL, &status), IPSECAUTO_USAGE);
	EXPECT(ipsecauto_up(s, NULL, &status), IPSECAUTO_USAGE);
	EXPECT(ipsecauto_run(s, IPSECAUTO_OP_STATUS, "extra", &status), IPSECAUTO_USAGE);

	/* A refusing line callback. */
	EXPECT(ipsecauto_session_set_line_callback(s, refuse, NULL), IPSECAUTO_OK);
	EXPECT(ipsecauto_status(s, &status), IPSECAUTO_CALLBACK_FAILED);
	EXPECT(ipsecauto_session_set_line_callback(s, NULL, NULL), IPSECAUTO_OK);

	/* An XAUTH callback that forgets the NUL. */
	EXPECT(ipsecauto_session_set_ctl_socket(s, argv[2]), IPSECAUTO_OK);
	EXPECT(ipsecauto_session_set_xauth_callback(s, decline, NULL), IPSECAUTO_OK);
	EXPECT(ipsecauto_up(s, "west", &status), IPSECAUTO_XAUTH_DECLINED);

	/* Operations: finished ones refuse more, cancelled ones too; freeing twice is caught. */
	EXPECT(ipsecauto_session_set_ctl_socket(s, argv[1]), IPSECAUTO_OK);
	EXPECT(ipsecauto_op_start(s, IPSECAUTO_OP_STATUS, NULL, &op), IPSECAUTO_OK);
	EXPECT(ipsecauto_op_cancel(op), IPSECAUTO_OK);
	EXPECT(ipsecauto_op_advance(op), IPSECAUTO_INVALID_STATE);
	EXPECT(ipsecauto_op_free(op), IPSECAUTO_OK);
	EXPECT(ipsecauto_op_free(op), IPSECAUTO_INVALID_HANDLE);
	EXPECT(ipsecauto_op_advance(op), IPSECAUTO_INVALID_HANDLE);

	/* Diagnostics: out of range, double free. */
	EXPECT(ipsecauto_session_set_config_text(s, "config setup\nconn x\n\tbogus=1\n", "."),
	       IPSECAUTO_OK);
	EXPECT(ipsecauto_check(s, &d), IPSECAUTO_CONFIG);
	if (ipsecauto_session_error_file(s) == NULL || ipsecauto_session_error_line(s) != 3)
		failures++;
	EXPECT(ipsecauto_diagnostics_get(d, 1000, NULL, NULL, NULL, NULL), IPSECAUTO_USAGE);
	EXPECT(ipsecauto_diagnostics_free(d), IPSECAUTO_OK);
	EXPECT(ipsecauto_diagnostics_free(d), IPSECAUTO_INVALID_HANDLE);

	/* A handle of the wrong type, and a session freed twice. */
	EXPECT(ipsecauto_op_free((ipsecauto_op *)s), IPSECAUTO_INVALID_HANDLE);
	EXPECT(ipsecauto_session_free(s), IPSECAUTO_OK);
	EXPECT(ipsecauto_session_free(s), IPSECAUTO_INVALID_HANDLE);
	EXPECT(ipsecauto_status(s, &status), IPSECAUTO_INVALID_HANDLE);

	if (failures == 0)
		printf("misuse: all %s\n", "codes as expected");
	return failures == 0 ? 0 : 1;
}
