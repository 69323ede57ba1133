/* The life of a connection through the C ABI, against the two plutos of scripts/scene.sh:
 * add from a string on both sides, up from west, status, down, delete.
 *
 *   demo WEST_CTLSOCKET EAST_CTLSOCKET
 *
 * Exits 0 only if every step did what it says.
 */
#include <stdlib.h>
#include <string.h>
#include <ipsecauto.h>
#include <stdio.h>

static const char config[] =
	"config setup\n"
	"\n"
	"conn cdemo\n"
	"\tauthby=secret\n"
	"\tleft=198.51.100.45\n"
	"\tleftid=@west\n"
	"\tright=198.51.100.23\n"
	"\trightid=@east\n"
	"\tikev2=insist\n";

/* Collects whether pluto mentioned an established IKE SA of cdemo, printing the lines worth
 * showing (status is long). */
struct seen {
	int established;
};

static int on_line(void *userdata, unsigned int rc, const char *text)
{
	struct seen *seen = userdata;
	int conn = strstr(text, "\"cdemo\"") != NULL;
	if (conn && (strstr(text, "established IKE SA") || strstr(text, "ESTABLISHED_IKE_SA")))
		seen->established = 1;
	if (conn)
		printf("    %03u %s\n", rc, text);
	return 0;
}

static int failures;

static void check(const char *what, int ok)
{
	printf("    %s %s\n", ok ? "ok:" : "FAILED:", what);
	if (!ok)
		failures++;
}

static ipsecauto_session *side(const char *ctl, struct seen *seen)
{
	ipsecauto_session *s = NULL;
	if (ipsecauto_session_new(&s) != IPSECAUTO_OK)
		return NULL;
	if (ipsecauto_session_set_ctl_socket(s, ctl) != IPSECAUTO_OK ||
	    ipsecauto_session_set_config_text(s, config, "/") != IPSECAUTO_OK ||
	    ipsecauto_session_set_line_callback(s, on_line, seen) != IPSECAUTO_OK ||
	    ipsecauto_session_set_timeout_ms(s, 30000) != IPSECAUTO_OK) {
		fprintf(stderr, "session: %s\n", ipsecauto_session_errmsg(s));
		ipsecauto_session_free(s);
		return NULL;
	}
	return s;
}

/* Runs one operation, printing what `ipsec auto` would run and the outcome. */
static int run(const char *who, ipsecauto_session *s, unsigned int op, const char *what,
	       const char *name)
{
	int status = -1;
	printf("\n[%s] ipsec auto --%s %s\n", who, what, name ? name : "");
	ipsecauto_result r = ipsecauto_run(s, op, name, &status);
	if (r != IPSECAUTO_OK && r != IPSECAUTO_STATUS)
		printf("    -> %s: %s\n", ipsecauto_result_name((int)r), ipsecauto_session_errmsg(s));
	else
		printf("    -> exit status %d\n", status);
	return r == IPSECAUTO_OK || r == IPSECAUTO_STATUS ? status : -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s WEST_CTLSOCKET EAST_CTLSOCKET\n", argv[0]);
		return 2;
	}
	struct seen west_seen = { 0 }, east_seen = { 0 };
	ipsecauto_session *west = side(argv[1], &west_seen);
	ipsecauto_session *east = side(argv[2], &east_seen);
	if (west == NULL || east == NULL)
		return 2;

	check("east: added from a string", run("east", east, IPSECAUTO_OP_ADD, "add", "cdemo") == 0);
	check("west: added from a string", run("west", west, IPSECAUTO_OP_ADD, "add", "cdemo") == 0);
	run("west", west, IPSECAUTO_OP_UP, "up", "cdemo");
	check("west: the IKE SA is established", west_seen.established);
	east_seen.established = 0;
	check("east: status", run("east", east, IPSECAUTO_OP_STATUS, "status", NULL) == 0);
	check("east: status shows the established IKE SA", east_seen.established);
	check("west: down", run("west", west, IPSECAUTO_OP_DOWN, "down", "cdemo") == 0);
	check("west: deleted", run("west", west, IPSECAUTO_OP_DELETE, "delete", "cdemo") == 0);
	check("east: deleted", run("east", east, IPSECAUTO_OP_DELETE, "delete", "cdemo") == 0);

	ipsecauto_session_free(west);
	ipsecauto_session_free(east);
	printf("\nC demo: %s\n", failures ? "some steps failed" : "every step did what it says");
	return failures ? 1 : 0;
}
