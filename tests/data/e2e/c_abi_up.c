/* End to end through the C ABI (tests/e2e_ffi.rs): adds a connection on both hosts of the
 * scene from their ipsec.conf files, brings it up from west, then asks west for its status.
 *
 *   c_abi_up WEST_CTL WEST_CONF EAST_CTL EAST_CONF CONN
 *
 * Every line pluto sends is printed as `SIDE NNN text`; after each operation a line
 * `SIDE result OPERATION RESULT_NAME EXIT_STATUS`. Exits 0 once every call has been made
 * (judging them is the test's job), 2 if a session cannot be set up.
 */
#include <stdio.h>
#include <ipsecauto.h>

static int print_line(void *side, unsigned int rc, const char *text)
{
	printf("%s %03u %s\n", (const char *)side, rc, text);
	return 0;
}

static ipsecauto_session *open_side(const char *side, const char *ctl, const char *conf)
{
	ipsecauto_session *s = NULL;
	if (ipsecauto_session_new(&s) != IPSECAUTO_OK)
		return NULL;
	if (ipsecauto_session_set_ctl_socket(s, ctl) != IPSECAUTO_OK ||
	    ipsecauto_session_set_config_file(s, conf) != IPSECAUTO_OK ||
	    ipsecauto_session_set_timeout_ms(s, 30000) != IPSECAUTO_OK ||
	    ipsecauto_session_set_line_callback(s, print_line, (void *)side) != IPSECAUTO_OK) {
		fprintf(stderr, "%s: %s\n", side, ipsecauto_session_errmsg(s));
		ipsecauto_session_free(s);
		return NULL;
	}
	return s;
}

static void run(ipsecauto_session *s, const char *side, unsigned int op, const char *opname,
		const char *conn)
{
	int status = -1;
	ipsecauto_result r = ipsecauto_run(s, op, conn, &status);
	printf("%s result %s %s %d\n", side, opname, ipsecauto_result_name((int)r), status);
	if (r != IPSECAUTO_OK)
		printf("%s errmsg %s\n", side, ipsecauto_session_errmsg(s));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s WEST_CTL WEST_CONF EAST_CTL EAST_CONF CONN\n", argv[0]);
		return 2;
	}
	if (ipsecauto_abi_version() != IPSECAUTO_ABI_VERSION) {
		fprintf(stderr, "library ABI %u, header %u\n", ipsecauto_abi_version(),
			IPSECAUTO_ABI_VERSION);
		return 2;
	}
	const char *conn = argv[5];
	ipsecauto_session *west = open_side("west", argv[1], argv[2]);
	ipsecauto_session *east = open_side("east", argv[3], argv[4]);
	if (west == NULL || east == NULL)
		return 2;
	run(east, "east", IPSECAUTO_OP_REREADSECRETS, "rereadsecrets", NULL);
	run(west, "west", IPSECAUTO_OP_REREADSECRETS, "rereadsecrets", NULL);
	run(east, "east", IPSECAUTO_OP_ADD, "add", conn);
	run(west, "west", IPSECAUTO_OP_ADD, "add", conn);
	run(west, "west", IPSECAUTO_OP_UP, "up", conn);
	run(west, "west", IPSECAUTO_OP_STATUS, "status", NULL);
	ipsecauto_session_free(west);
	ipsecauto_session_free(east);
	return 0;
}
