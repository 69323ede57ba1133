/* Adds a connection defined in a string, without any file, as `ipsec auto --add NAME` does
 * with an ipsec.conf.
 *
 *   add_from_string CTLSOCKET [NAME]
 *
 * NAME defaults to "example"; naming one that the text lacks shows the error path.
 */
#include "common.h"

static const char config[] =
	"config setup\n"
	"\n"
	"conn example\n"
	"\tleft=198.51.100.1\n"
	"\tright=198.51.100.2\n"
	"\tauthby=secret\n"
	"\tikev2=yes\n"
	"\tauto=add\n";

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s CTLSOCKET [NAME]\n", argv[0]);
		return 2;
	}
	ipsecauto_session *s = open_session(argv[1]);
	if (s == NULL)
		return 2;
	ipsecauto_result r = ipsecauto_session_set_config_text(s, config, ".");
	int status = 0;
	if (r == IPSECAUTO_OK)
		r = ipsecauto_add(s, argc == 3 ? argv[2] : "example", &status);
	else
		status = 2;
	if (r != IPSECAUTO_OK)
		report(s, r);
	ipsecauto_session_free(s);
	return status;
}
