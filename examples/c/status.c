/* Prints pluto's status, as `ipsec auto --status` does.
 *
 *   status CTLSOCKET
 */
#include "common.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CTLSOCKET\n", argv[0]);
		return 2;
	}
	printf("# libipsecauto %s\n", ipsecauto_version());
	ipsecauto_session *s = open_session(argv[1]);
	if (s == NULL)
		return 2;
	int status = 0;
	ipsecauto_result r = ipsecauto_status(s, &status);
	if (r != IPSECAUTO_OK)
		report(s, r);
	ipsecauto_session_free(s);
	return status;
}
